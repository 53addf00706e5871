using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Tests.Property.Models;
using LiveAllocation = Veralloc.Tests.Property.Textbook.LiveAllocation;
using static Veralloc.Tests.Property.Textbook.AllocationScripts;
using Xunit.Abstractions;

namespace Veralloc.Tests.Property.FreeList;

/// <summary>
/// Model-based properties: random command sequences run against <see cref="FreeListAllocator"/> and
/// <see cref="FreeListModel"/> side by side. After every step: CheckInvariants, the model's free list,
/// offset and page count equal the allocator's, free + live = heap, and every live allocation still
/// holds the byte pattern written when it was allocated. At the end everything is freed and the list
/// must be one block covering the heap.
/// </summary>
/// <remarks>
/// Not covered here: corrupted memory (FreeListCorruptionTests), bad arguments (FreeListBadInputTests).
/// A failure message carries FsCheck's replay seed and the shrunk command list; commands name live
/// allocations by an index resolved modulo the live count at run time, so every shrink is valid.
/// </remarks>
public sealed class FreeListModelProperties
{
    private const long Page = LinearMemory.PageBytes;

    private readonly ITestOutputHelper _output;

    public FreeListModelProperties(ITestOutputHelper output) => _output = output;

    [Fact]
    public void AllocatorMatchesTheModelAfterEveryStep()
    {
        var totals = new Totals();
        Check(FreeListScenarios.Scenario(withFault: false), maxTest: 400, totals);
        _output.WriteLine(totals.ToString());

        // Guard against a generator that silently stopped exercising the interesting paths.
        Assert.True(totals.Steps >= 5000, $"only {totals.Steps} steps ran");
        Assert.True(totals.Growths >= 200, $"only {totals.Growths} growths");
        Assert.True(totals.OutOfMemory >= 10, $"only {totals.OutOfMemory} out-of-memory results");
    }

    [Fact]
    public void AGrowthFailureAtAnyStepReturnsFalseAndChangesNothing()
    {
        var totals = new Totals();
        Check(FreeListScenarios.Scenario(withFault: true), maxTest: 400, totals);
        _output.WriteLine(totals.ToString());
        Assert.True(totals.InjectedFailures >= 100, $"only {totals.InjectedFailures} injected growth failures were hit");
    }

    internal sealed class Totals
    {
        public long Steps { get; set; }

        public long Growths { get; set; }

        public long OutOfMemory { get; set; }

        public long InjectedFailures { get; set; }

        public long GuardSkips { get; set; }

        public override string ToString() =>
            $"{Steps} steps, {Growths} growth attempts, {OutOfMemory} failed allocations, {InjectedFailures} injected growth failures, {GuardSkips} grow-then-skip results of the full >= end guard";
    }

    private static void Check(Arbitrary<Scenario> scenarios, int maxTest, Totals totals) =>
        GuardedProperty.Check("Free-list model", scenarios, (Scenario scenario) => Run(scenario, totals), maxTest);

    /// <summary>Runs one scenario against the allocator and the model, checking everything after every step; throws on the first difference.</summary>
    internal static void Run(Scenario scenario, Totals totals)
    {
        var slab = new SlabLinearMemory(scenario.MaxPages);
        using var native = scenario.Native ? new NativeLinearMemory(scenario.MaxPages) : null;
        var memory = new FaultInjectingMemory(native is null ? slab : native);
        if (scenario.FailingGrowthAttempt >= 0)
        {
            long failing = scenario.FailingGrowthAttempt;
            memory.FailWhen((attempt, _) => attempt == failing);
        }

        var allocator = new FreeListAllocator(memory, new FreeListOptions { CheckedMode = scenario.CheckedMode, ExactFitAtHeapBase = scenario.ExactFit });
        var model = new FreeListModel(scenario.MaxPages, scenario.FailingGrowthAttempt, scenario.ExactFit);
        var live = new List<LiveAllocation>();
        int injectedFailuresSeen = 0;

        for (int step = 0; step < scenario.Commands.Length; step++)
        {
            Command command = scenario.Commands[step];
            string where = $"step {step} ({command})";
            switch (command)
            {
                case Command.Allocate(long size, long alignment):
                {
                    Snapshot before = Snapshot.Of(allocator);
                    long failuresBefore = memory.InjectedFailures;
                    bool ok = allocator.TryAllocate(size, alignment, out long offset);
                    totals.OutOfMemory += ok ? 0 : 1;
                    long? expected = model.Allocate(size, alignment);
                    Require(ok == expected.HasValue, where, $"allocator returned {ok}, model expected {(expected.HasValue ? $"offset {expected}" : "failure")}");
                    if (ok)
                    {
                        Require(offset == expected!.Value, where, $"offset {offset}, model expected {expected}");
                        Require(offset % Math.Max(alignment, FreeListAllocator.NodeBytes) == 0, where, $"offset {offset} breaks alignment {alignment}");
                        Track(live, memory, step, offset, size, alignment);
                    }
                    else
                    {
                        injectedFailuresSeen += (int)(memory.InjectedFailures - failuresBefore);
                        if (allocator.PageCount != before.Pages)
                        {
                            // The one documented exception (default policy): §1's `full >= end` guard skips
                            // the single block [0, full) that growing an empty heap just created.
                            totals.GuardSkips++;
                            Require(!scenario.ExactFit && before.Pages == 0 && FreeListModel.Full(size) == allocator.HeapBytes, where,
                                $"a failed allocation grew the heap from {before.Pages} to {allocator.PageCount} pages");
                        }
                        else
                        {
                            Require(Snapshot.Of(allocator).Equals(before), where, $"a failed allocation changed the state: {before} became {Snapshot.Of(allocator)}");
                        }
                    }

                    break;
                }

                case Command.Free(int index):
                {
                    if (live.Count == 0)
                    {
                        continue;
                    }

                    LiveAllocation victim = TakeVictim(live, index, memory, where);
                    allocator.Free(victim.Offset, victim.Size, victim.Alignment);
                    model.Free(victim.Offset);
                    break;
                }
            }

            AfterStep(allocator, model, memory, live, where);
            totals.Steps++;
        }

        totals.Growths += memory.GrowthAttempts;
        totals.InjectedFailures += memory.InjectedFailures;

        Require(memory.GrowthAttempts == model.GrowthAttempts, "end", $"growth attempts {memory.GrowthAttempts}, model {model.GrowthAttempts}");
        Require(injectedFailuresSeen == memory.InjectedFailures, "end", "an injected growth failure did not surface as a failed allocation");
        foreach (LiveAllocation allocation in live)
        {
            allocation.Verify(memory, "end");
            allocator.Free(allocation.Offset, allocation.Size, allocation.Alignment);
            model.Free(allocation.Offset);
            CheckInvariants(allocator, "end");
        }

        IReadOnlyList<AddressRange> blocks = allocator.GetFreeBlocks();
        AddressRange[] expectedBlocks = allocator.HeapBytes == 0 ? [] : [new AddressRange(0, allocator.HeapBytes)];
        Require(blocks.SequenceEqual(expectedBlocks), "end", $"after freeing everything the list is {Show(blocks)}, expected {Show(expectedBlocks)}");
        Require(allocator.LiveBytes == 0, "end", $"live bytes {allocator.LiveBytes} after freeing everything");
    }

    private static void AfterStep(FreeListAllocator allocator, FreeListModel model, ILinearMemory memory, List<LiveAllocation> live, string where)
    {
        CheckInvariants(allocator, where);
        IReadOnlyList<AddressRange> blocks = allocator.GetFreeBlocks();
        Require(blocks.SequenceEqual(model.FreeList), where, $"free list {Show(blocks)}, model {Show(model.FreeList)}");
        Require(allocator.FreeBlockCount == blocks.Count, where, $"FreeBlockCount {allocator.FreeBlockCount}, list length {blocks.Count}");
        Require(allocator.PageCount == model.Pages, where, $"{allocator.PageCount} pages, model {model.Pages}");
        Require(allocator.FreeBytes == model.FreeBytes, where, $"free bytes {allocator.FreeBytes}, model {model.FreeBytes}");
        long liveBytes = live.Sum(a => FreeListModel.Full(a.Size));
        Require(allocator.FreeBytes + liveBytes == allocator.HeapBytes, where, $"free {allocator.FreeBytes} + live {liveBytes} != heap {allocator.HeapBytes}");
        Require(allocator.LiveBytes == liveBytes, where, $"LiveBytes {allocator.LiveBytes}, expected {liveBytes}");
        foreach (LiveAllocation allocation in live)
        {
            allocation.Verify(memory, where);
        }
    }

    private static string Show(IEnumerable<AddressRange> blocks) => "[" + string.Join(", ", blocks.Select(b => $"{{{b.Start}, {b.Size}}}")) + "]";

    private readonly record struct Snapshot(string FreeList, int Pages, long FreeBytes, long LiveBytes)
    {
        public static Snapshot Of(FreeListAllocator allocator) =>
            new(Show(allocator.GetFreeBlocks()), allocator.PageCount, allocator.FreeBytes, allocator.LiveBytes);
    }
}

/// <summary>One command of a generated scenario.</summary>
public abstract record Command
{
    private Command()
    {
    }

    /// <summary>TryAllocate(Size, Alignment).</summary>
    public sealed record Allocate(long Size, long Alignment) : Command
    {
        public override string ToString() => $"Allocate({Size}, {Alignment})";
    }

    /// <summary>Free the live allocation number Index modulo the live count (nothing when none is live).</summary>
    public sealed record Free(int Index) : Command
    {
        public override string ToString() => $"Free(#{Index})";
    }
}

/// <summary>A generated test case: the heap limit, the backing, the mode, an optional growth fault, the commands.</summary>
public sealed record Scenario(int MaxPages, bool Native, bool CheckedMode, bool ExactFit, long FailingGrowthAttempt, Command[] Commands)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"Scenario(maxPages {MaxPages}, {(Native ? "native" : "slab")}, {(CheckedMode ? "checked" : "unchecked")}, {(ExactFit ? "exact fit at base" : "literal guard")}, failing growth attempt {FailingGrowthAttempt}, {Commands.Length} commands: ");
        text.AppendJoin("; ", Commands.Select(c => c.ToString()));
        return text.Append(')').ToString();
    }
}

/// <summary>Generators and shrinkers for <see cref="Scenario"/>.</summary>
internal static class FreeListScenarios
{
    private const int Page = LinearMemory.PageBytes;

    private static readonly Gen<long> s_smallAlignment = Gen.Elements(1L, 2L, 4L, 8L, 16L, 32L, 64L);
    private static readonly Gen<long> s_largeAlignment = Gen.Elements(1L, 16L, 128L, 1024L, 4096L, 16384L, 32768L);

    private static readonly Gen<Command> s_allocate = Gen.Frequency(
        (85, from size in Gen.Choose(1, 100) from alignment in s_smallAlignment select (Command)new Command.Allocate(size, alignment)),
        (10, from size in Gen.Choose(1, 3 * Page) from alignment in s_largeAlignment select (Command)new Command.Allocate(size, alignment)),
        (5, from size in Gen.Elements(16L, Page - 16L, Page, Page + 1L, 2L * Page) from alignment in s_largeAlignment select (Command)new Command.Allocate(size, alignment)));

    private static readonly Gen<Command> s_free = Gen.Choose(0, 1000).Select(index => (Command)new Command.Free(index));

    private static readonly Gen<Command> s_command = Gen.Frequency((55, s_allocate), (45, s_free));

    public static Arbitrary<Scenario> Scenario(bool withFault)
    {
        Gen<Scenario> scenarios =
            from maxPages in Gen.Frequency((1, Gen.Choose(0, 3)), (4, Gen.Choose(4, 48)))
            from native in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
            from checkedMode in Gen.Elements(false, true)
            from exactFit in Gen.Elements(false, true)
            from failing in withFault ? Gen.Frequency((3, Gen.Choose(0, 2)), (1, Gen.Choose(3, 12))).Select(a => (long)a) : Gen.Constant(-1L)
            from length in Gen.Choose(0, 150)
            from commands in s_command.ArrayOf(length)
            select new Scenario(maxPages, native, checkedMode, exactFit, failing, commands);
        return Arb.From(scenarios, Shrink);
    }

    /// <summary>Shorter command lists first (dropping halves, quarters, ... single commands), then simpler commands.</summary>
    private static IEnumerable<Scenario> Shrink(Scenario scenario)
    {
        Command[] commands = scenario.Commands;
        for (int chunk = commands.Length / 2; chunk >= 1; chunk /= 2)
        {
            for (int start = 0; start + chunk <= commands.Length; start += chunk)
            {
                yield return scenario with { Commands = [.. commands[..start], .. commands[(start + chunk)..]] };
            }
        }

        for (int i = 0; i < commands.Length; i++)
        {
            foreach (Command simpler in ShrinkCommand(commands[i]))
            {
                Command[] copy = (Command[])commands.Clone();
                copy[i] = simpler;
                yield return scenario with { Commands = copy };
            }
        }

        if (scenario.Native)
        {
            yield return scenario with { Native = false };
        }

        if (scenario.CheckedMode)
        {
            yield return scenario with { CheckedMode = false };
        }
    }

    private static IEnumerable<Command> ShrinkCommand(Command command)
    {
        switch (command)
        {
            case Command.Allocate(long size, long alignment):
                if (size > 1)
                {
                    yield return new Command.Allocate(1, alignment);
                    yield return new Command.Allocate(size / 2, alignment);
                    yield return new Command.Allocate(size - 1, alignment);
                }

                if (alignment > 1)
                {
                    yield return new Command.Allocate(size, 1);
                    yield return new Command.Allocate(size, alignment / 2);
                }

                break;
            case Command.Free(int index) when index > 0:
                yield return new Command.Free(0);
                yield return new Command.Free(index / 2);
                break;
        }
    }
}
