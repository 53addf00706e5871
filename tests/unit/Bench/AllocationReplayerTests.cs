using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Traces;

namespace Veralloc.Tests.Unit.Bench;

public sealed class AllocationReplayerTests
{
    private const string SmallTrace = "a 0 10 8\na 1 3 32\nf 0\na 0 5 1\nf 1\nf 0\n";

    [Fact]
    public void FreesReceiveTheOffsetSizeAndAlignmentOfTheirAllocation()
    {
        ParsedTrace trace = TraceParser.Parse(SmallTrace, "t");
        var allocator = new RecordingAllocator();
        var offsets = new long[trace.IdCapacity];

        int failedAt = AllocationReplayer.ReplayRange(trace.Ops, 0, trace.OpCount, allocator, offsets, out Exception? error);

        Assert.Equal(-1, failedAt);
        Assert.Null(error);
        Assert.Equal(["a 10 8 -> 16", "a 3 32 -> 32", "f 16 10 8", "a 5 1 -> 35", "f 32 3 32", "f 35 5 1"], allocator.Calls);
    }

    [Fact]
    public void RunTimesEveryPassAndVerifiesTheEndState()
    {
        ParsedTrace trace = TraceParser.Parse(SmallTrace, "t");
        var allocator = new RecordingAllocator();

        ReplayResult result = AllocationReplayer.Run(trace, allocator.Subject(), new ReplayOptions(Passes: 3, CheckEvery: 2, WarmUpMilliseconds: 0));

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(3, result.PassMilliseconds.Count);
        Assert.Equal(6, result.Ops);
        Assert.Equal(4 * 6, allocator.Calls.Count); // warm-up + 3 passes
        Assert.Equal(3 + 1 + 3, allocator.InvariantChecks); // warm-up: after ops 2, 4, 6, then at its end; each pass: once at the end
        Assert.True(result.NanosecondsPerOp >= 0);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("freelist")]
    public void TimedPassesAllocateNothingOnTheManagedHeap(string name)
    {
        ParsedTrace trace = LolfuzzGenerator.Generate(rounds: 2, stepsPerRound: 300, seed: 5);
        using ReplaySubject subject = AllocatorRegistry.Find(name)!.Create();

        ReplayResult result = AllocationReplayer.Run(trace, subject, new ReplayOptions(Passes: 2, WarmUpMilliseconds: 0));

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(0, result.ManagedBytesAllocatedInTimedPasses);
    }

    [Fact]
    public void WarmUpRepeatsVerifiedPassesUntilItsBudgetIsSpent()
    {
        ParsedTrace trace = TraceParser.Parse(SmallTrace, "t");
        var allocator = new RecordingAllocator();

        ReplayResult result = AllocationReplayer.Run(trace, allocator.Subject(), new ReplayOptions(Passes: 1, WarmUpMilliseconds: 30));

        Assert.True(result.Succeeded, result.Failure);
        int passes = allocator.Calls.Count / 6;
        Assert.Equal(0, allocator.Calls.Count % 6);
        Assert.True(passes >= 2 + 1, $"expected at least two warm-up passes and one timed pass, saw {passes} passes");
        // Every pass is verified at its end; the first warm-up pass also checks at the end of its checked replay.
        Assert.Equal(passes + 1, allocator.InvariantChecks);
    }

    [Fact]
    public void OutOfMemoryIsAFailureNamingTheOp()
    {
        ParsedTrace trace = TraceParser.Parse("a 0 64 8\na 1 64 8\nf 0\nf 1\n", "t");
        var allocator = new RecordingAllocator(capacityBytes: 100);

        ReplayResult result = AllocationReplayer.Run(trace, allocator.Subject(), new ReplayOptions(Passes: 1, WarmUpMilliseconds: 0));

        Assert.False(result.Succeeded);
        Assert.Contains("out of memory at op #1 (a 1 64 8)", result.Failure, StringComparison.Ordinal);
        Assert.True(double.IsNaN(result.MedianMilliseconds));
        Assert.True(result.OutOfMemory);
        Assert.False(result.FailedVerification);
    }

    [Fact]
    public void AnAllocatorThatIsNotEmptyAtTheEndFailsVerification()
    {
        ParsedTrace trace = TraceParser.Parse(SmallTrace, "t");
        var allocator = new RecordingAllocator();
        var subject = new ReplaySubject("leaky", allocator, () => "3 blocks still live");

        ReplayResult result = AllocationReplayer.Run(trace, subject, new ReplayOptions(Passes: 2, WarmUpMilliseconds: 0));

        Assert.False(result.Succeeded);
        Assert.Contains("warm-up: not empty after every block was freed: 3 blocks still live", result.Failure, StringComparison.Ordinal);
        Assert.True(result.FailedVerification);
    }

    [Fact]
    public void TracesThatLeaveBlocksLiveAreRejected()
    {
        ParsedTrace trace = TraceParser.Parse("a 0 8 8\n", "t");
        var error = Assert.Throws<ArgumentException>(() => AllocationReplayer.Run(trace, new RecordingAllocator().Subject(), new ReplayOptions(1, WarmUpMilliseconds: 0)));
        Assert.Contains("frees every block", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FreeListReplayOfLolfuzzEndsAsOneBlockCoveringTheHeap()
    {
        ParsedTrace trace = LolfuzzGenerator.Generate(rounds: 2, stepsPerRound: 400, seed: 3);
        using ReplaySubject subject = AllocatorRegistry.CreateFreeList(new FreeListOptions { CheckedMode = true });
        var allocator = (FreeListAllocator)subject.Allocator;

        ReplayResult result = AllocationReplayer.Run(trace, subject, new ReplayOptions(Passes: 1, CheckEvery: 1, WarmUpMilliseconds: 0));

        Assert.True(result.Succeeded, result.Failure);
        Assert.True(allocator.HeapBytes > 0);
        Assert.Equal([new Veralloc.Invariants.AddressRange(0, allocator.HeapBytes)], allocator.GetFreeBlocks());
    }

    [Fact]
    public void ACorruptedHeapIsReportedByTheCheckedReplay()
    {
        ParsedTrace trace = TraceParser.Parse("a 0 1 1\na 1 1 1\nf 0\nf 1\n", "t");
        using ReplaySubject subject = AllocatorRegistry.CreateFreeList(new FreeListOptions { CheckedMode = true });
        var allocator = (FreeListAllocator)subject.Allocator;
        var offsets = new long[trace.IdCapacity];
        Assert.Null(AllocationReplayer.ReplayChecked(trace, subject, offsets, 0, 1, 1, "before"));

        // The only free block is [0, PAGE - NODE); its node's size word sits at offset 8. Shrink it behind the allocator's back.
        Assert.Equal([new Veralloc.Invariants.AddressRange(0, LinearMemory.PageBytes - FreeListAllocator.NodeBytes)], allocator.GetFreeBlocks());
        allocator.Memory.WriteWord(8, FreeListAllocator.NodeBytes);

        string? failure = AllocationReplayer.ReplayChecked(trace, subject, offsets, 1, trace.OpCount, 1, "after");

        Assert.NotNull(failure);
        Assert.StartsWith("after: ", failure, StringComparison.Ordinal);
        Assert.Contains("FL-", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void FreeListEmptinessCheckReportsALeftoverAllocation()
    {
        using var memory = new NativeLinearMemory(4);
        var allocator = new FreeListAllocator(memory);
        Assert.Null(AllocatorRegistry.FreeListEmptinessProblem(allocator));
        Assert.True(allocator.TryAllocate(1, 1, out long offset));

        Assert.Contains("expected one block", AllocatorRegistry.FreeListEmptinessProblem(allocator), StringComparison.Ordinal);

        allocator.Free(offset, 1, 1);
        Assert.Null(AllocatorRegistry.FreeListEmptinessProblem(allocator));
    }

    [Theory]
    [InlineData("native")]
    [InlineData("freelist")]
    [InlineData("segfit")]
    [InlineData("bump")]
    [InlineData("fixedblock")]
    public void EveryRegisteredAllocatorReplaysLolfuzzAndVerifies(string name)
    {
        ParsedTrace trace = LolfuzzGenerator.Generate(rounds: 2, stepsPerRound: 300, seed: 1);
        using ReplaySubject subject = AllocatorRegistry.Find(name)!.Create();

        ReplayResult result = AllocationReplayer.Run(trace, subject, new ReplayOptions(Passes: 1, CheckEvery: 50, WarmUpMilliseconds: 0));

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(name, result.Allocator);
    }

    [Fact]
    public void SegregatedFitWithTheFrontCacheReplaysLolfuzzAndVerifiesUnderItsOwnName()
    {
        ParsedTrace trace = LolfuzzGenerator.Generate(rounds: 2, stepsPerRound: 300, seed: 1);
        using ReplaySubject subject = AllocatorRegistry.Find(AllocatorRegistry.SegregatedFitCached)!.Create();

        ReplayResult result = AllocationReplayer.Run(trace, subject, new ReplayOptions(Passes: 1, CheckEvery: 50, WarmUpMilliseconds: 0));

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(AllocatorRegistry.SegregatedFitCached, result.Allocator);
        Assert.Equal(AllocatorRegistry.SegregatedFitCacheDepth, Assert.IsType<SegregatedFitAllocator>(subject.Allocator).FrontCacheDepth);
    }

    [Fact]
    public void LinkedListReplaysAnAlign8TraceAndVerifies()
    {
        // The textbook linked list skips a region whose alignment leftover is under one node, so lolfuzz's mixed
        // alignments exhaust it at once; steady-style traces (align 8) are its fair test.
        ParsedTrace trace = TraceParser.Parse("a 0 24 8\na 1 100 8\nf 0\na 2 16 8\nf 1\nf 2\n", "t");
        using ReplaySubject subject = AllocatorRegistry.Find("linkedlist")!.Create();

        ReplayResult result = AllocationReplayer.Run(trace, subject, new ReplayOptions(Passes: 1, CheckEvery: 1, WarmUpMilliseconds: 0));

        Assert.True(result.Succeeded, result.Failure);
    }

    [Fact]
    public void NativeAllocatorRefusesAFreeWhenNothingIsLive()
    {
        var allocator = new NativeMemoryAllocator();
        Assert.Throws<ArgumentException>(() => allocator.Free(4096, 8, 8));
        Assert.Equal(0, allocator.LiveBlocks);
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.TryAllocate(8, 3, out _));
    }

    [Theory]
    [InlineData(new[] { 5.0 }, 5.0)]
    [InlineData(new[] { 9.0, 1.0, 5.0 }, 5.0)]
    [InlineData(new[] { 4.0, 1.0, 3.0, 2.0 }, 2.5)]
    public void MedianOfPasses(double[] values, double expected) => Assert.Equal(expected, AllocationReplayer.Median(values));
}
