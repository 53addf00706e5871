using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.Slots;
using Veralloc.Tests.Property.FreeList;
using Veralloc.Tests.Property.Slots;
using Xunit.Abstractions;

namespace Veralloc.Tests.Property.Shrinking;

/// <summary>
/// The generators and shrinkers the model properties use must turn a long failing run into a small one: here a
/// planted property (an observable that legitimately grows, declared not to) fails on purpose, and the
/// counterexample FsCheck ends with must be a handful of commands, with the replay seed in the message.
/// </summary>
public sealed class ShrinkingTests
{
    private readonly ITestOutputHelper _output;

    public ShrinkingTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void AFreeListFailureShrinksToAFewCommands()
    {
        // Alignment gaps are free blocks too, so two allocations can already leave three free blocks.
        (List<Scenario> failures, string message) = CheckExpectingFailure(FreeListScenarios.Scenario(withFault: false), scenario => MaxFreeBlocks(scenario) < 3);

        Scenario first = failures[0], shrunk = failures[^1];
        _output.WriteLine($"first failure: {first.Commands.Length} commands; shrunk: {shrunk}");
        Assert.True(first.Commands.Length > 8, $"the seed should start from a long failing run, got {first}");
        Assert.True(shrunk.Commands.Length <= 6, $"shrunk counterexample is not small: {shrunk}");
        Assert.True(MaxFreeBlocks(shrunk) >= 3, "the shrunk scenario must still fail");
        Assert.Contains("Falsifiable", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASlotFailureShrinksToAFewCommands()
    {
        // Three unused warm slots need three allocations and three frees.
        (List<SlotScenario> failures, string message) = CheckExpectingFailure(
            Arb.From(SlotModelProperties.ScenarioGen, SlotModelProperties.Shrink), scenario => MaxUnusedWarm(scenario) < 3);

        SlotScenario first = failures[0], shrunk = failures[^1];
        _output.WriteLine($"first failure: {first.Commands.Length} commands; shrunk: {shrunk}");
        Assert.True(first.Commands.Length > 10, $"the seed should start from a long failing run, got {first}");
        Assert.True(shrunk.Commands.Length <= 8, $"shrunk counterexample is not small: {shrunk}");
        Assert.True(MaxUnusedWarm(shrunk) >= 3, "the shrunk scenario must still fail");
        Assert.Contains("Falsifiable", message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Checks the planted property from a fixed seed; it must fail. Returns every failing input in the order FsCheck
    /// tried them (the first generated one first, the final shrunk one last) and FsCheck's report.
    /// </summary>
    private static (List<T> Failures, string Message) CheckExpectingFailure<T>(Arbitrary<T> inputs, Func<T, bool> holds)
    {
        var failures = new List<T>();
        FsCheck.Property planted = Prop.ForAll(inputs, (T input) =>
        {
            bool ok = holds(input);
            if (!ok)
            {
                failures.Add(input);
            }

            return ok;
        });
        Config config = Config.QuickThrowOnFailure.WithMaxTest(500)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(20261123UL), FSharpOption<int>.None)));
        Exception failure = Assert.ThrowsAny<Exception>(() => Check.One(config, planted));
        return (failures, failure.Message);
    }

    private static int MaxFreeBlocks(Scenario scenario)
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(scenario.MaxPages), new FreeListOptions { ExactFitAtHeapBase = scenario.ExactFit });
        var live = new List<(long Offset, long Size, long Alignment)>();
        int most = 0;
        foreach (Command command in scenario.Commands)
        {
            if (command is Command.Allocate(long size, long alignment) && allocator.TryAllocate(size, alignment, out long offset))
            {
                live.Add((offset, size, alignment));
            }
            else if (command is Command.Free(int index) && live.Count > 0)
            {
                var victim = live[index % live.Count];
                live.Remove(victim);
                allocator.Free(victim.Offset, victim.Size, victim.Alignment);
            }

            most = Math.Max(most, allocator.FreeBlockCount);
        }

        return most;
    }

    private static int MaxUnusedWarm(SlotScenario scenario)
    {
        var pool = new SlotAllocator(scenario.Capacity, scenario.Threshold);
        var used = new List<int>();
        int most = 0;
        foreach (SlotCommand command in scenario.Commands)
        {
            bool allocated = false;
            int slot = -1;
            switch (command.Op)
            {
                case SlotOp.Alloc:
                    allocated = pool.TryAllocate(command.Key < 0 ? null : SlotModelProperties.KeyOf(command.Key), out slot);
                    break;
                case SlotOp.AllocAffineAndClear:
                    allocated = pool.TryAllocateAffineAndClear(SlotModelProperties.KeyOf(command.Key), out slot);
                    break;
                case SlotOp.FreeUsed when used.Count > 0 && command.Bytes >= 0:
                    int victim = used[command.Index % used.Count];
                    used.Remove(victim);
                    pool.Free(victim, command.Bytes);
                    break;
            }

            if (allocated)
            {
                used.Add(slot);
            }

            most = Math.Max(most, pool.UnusedWarmCount);
        }

        return most;
    }
}
