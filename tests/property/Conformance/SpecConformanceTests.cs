using Veralloc.Scenarios.Slots;
using Veralloc.Tests.Property.FreeList;
using Veralloc.Tests.Property.Models;
using Veralloc.Tests.Property.Slots;
using Xunit.Abstractions;

namespace Veralloc.Tests.Property.Conformance;

/// <summary>
/// Spec ↔ code conformance on the benchmark workloads: the allocator and the spec's reference model (the one
/// the property tests use, <see cref="FreeListModel"/> in tests/property/Models and <see cref="SlotModel"/> in
/// src/Scenarios/Slots, where the linearizability checks of the slot scenarios use it too)
/// are driven through the same long, deterministic operation sequence shaped like the shared traces
/// (lolfuzz, slots), and must agree on every result and every observable after every operation.
/// </summary>
/// <remarks>
/// The random property tests explore many short sequences; these explore a few long ones with the traces'
/// distributions, where the free list grows long and the warm and affine lists churn. The comparison itself
/// (results, lists, counters, invariants, byte patterns) is the property tests' harness, so one definition of
/// "agree" serves both.
/// </remarks>
public sealed class SpecConformanceTests
{
    private readonly ITestOutputHelper _output;

    public SpecConformanceTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void FreeListFollowsTheModelThroughALolfuzzShapedWorkload(int seed, bool checkedMode)
    {
        Command[] commands = LolfuzzShaped(seed, rounds: 3, stepsPerRound: 400);
        var scenario = new Scenario(MaxPages: 2048, Native: true, CheckedMode: checkedMode, ExactFit: false, FailingGrowthAttempt: -1, commands);
        var totals = new FreeListModelProperties.Totals();

        FreeListModelProperties.Run(scenario, totals);

        _output.WriteLine($"{commands.Length} commands: {totals}");
        Assert.True(totals.Steps == commands.Length, $"{totals.Steps} of {commands.Length} steps ran");
        Assert.True(totals.Growths >= 5, $"the workload grew the heap only {totals.Growths} times");
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(10)]
    [InlineData(0)]
    public void SlotAllocatorFollowsTheModelThroughASlotsShapedWorkload(int threshold)
    {
        const int capacity = 1000;
        const int keyCount = 10;
        SlotCommand[] commands = SlotsShaped(seed: threshold, capacity, keyCount, steps: 20_000);

        Assert.True(SlotModelProperties.Run(new SlotScenario(capacity, threshold, keyCount, commands)));
    }

    /// <summary>
    /// gen_traces.py's lolfuzz, shortened: per step free random live blocks while a 0.45 coin says so, allocate
    /// 1..99 bytes aligned to 1..64 and with p = 0.05 also 1..655359 bytes aligned to 1..32768; free the rest
    /// at the end of each round.
    /// </summary>
    private static Command[] LolfuzzShaped(int seed, int rounds, int stepsPerRound)
    {
        var random = new Random(seed);
        var commands = new List<Command>();
        for (int round = 0; round < rounds; round++)
        {
            int live = 0;
            for (int step = 0; step < stepsPerRound; step++)
            {
                while (live > 0 && random.NextDouble() < 0.45)
                {
                    commands.Add(new Command.Free(random.Next(live)));
                    live--;
                }

                commands.Add(new Command.Allocate(random.Next(1, 100), 1L << random.Next(0, 7)));
                live++;
                if (random.NextDouble() < 0.05)
                {
                    commands.Add(new Command.Allocate(random.Next(1, 655_360), 1L << random.Next(0, 16)));
                    live++;
                }
            }

            // The heap is big enough that no allocation fails, so `live` is exact and this empties the heap.
            for (; live > 0; live--)
            {
                commands.Add(new Command.Free(random.Next(live)));
            }
        }

        return [.. commands];
    }

    /// <summary>
    /// gen_traces.py's slots workload: with p = 0.5 (or when full) free a random held slot with random resident
    /// bytes, else allocate with one of the keys; here also, with p = 0.05, an allocate-affine-and-clear.
    /// </summary>
    private static SlotCommand[] SlotsShaped(int seed, int capacity, int keyCount, int steps)
    {
        var random = new Random(seed);
        var commands = new SlotCommand[steps];
        int held = 0;
        for (int step = 0; step < steps; step++)
        {
            if (held > 0 && (random.NextDouble() < 0.5 || held == capacity))
            {
                commands[step] = new SlotCommand(SlotOp.FreeUsed, -1, random.Next(held), random.Next(0, 1 << 16));
                held--;
            }
            else if (random.NextDouble() < 0.05)
            {
                // Affine-and-clear succeeds only when the key has a warm slot; the model decides, so `held` may drift
                // high by the misses, which only makes a later free a no-op on an empty pool.
                commands[step] = new SlotCommand(SlotOp.AllocAffineAndClear, random.Next(keyCount), 0, 0);
                held++;
            }
            else
            {
                commands[step] = new SlotCommand(SlotOp.Alloc, random.Next(keyCount), 0, 0);
                held++;
            }
        }

        return commands;
    }
}
