using Veralloc.Allocators.SegregatedFit;
using Veralloc.Invariants;
using static Veralloc.Tests.Unit.SegregatedFit.SegregatedFitAllocatorTests;

namespace Veralloc.Tests.Unit.SegregatedFit;

/// <summary>The opt-in front cache (spec/segfit.md, "Front cache"): exact placements, flushes, bounds and errors.</summary>
public sealed class SegregatedFitFrontCacheTests
{
    private static SegregatedFitAllocator Cached(long capacity, int depth) =>
        new(capacity, new SegregatedFitOptions { FrontCacheDepth = depth });

    [Fact]
    public void FreedSmallBlocksAreParkedAndReusedNewestFirst()
    {
        SegregatedFitAllocator allocator = Cached(4096, depth: 4);
        long[] offsets = AllocateAll(allocator, 32, 5);

        allocator.Free(offsets[1], 32, 1);
        allocator.Free(offsets[3], 32, 8);

        Assert.Equal(2, allocator.FrontCachedBlockCount);
        Assert.Equal(3, allocator.UsedBlockCount);
        Assert.Equal(3, allocator.FreeBlockCount);
        Assert.Equal(4096 - (3 * 32), allocator.FreeBytes);
        Assert.Equal(4096 - 160, allocator.LargestFreeBlock);
        Assert.Equal([new AddressRange(32, 32), new AddressRange(96, 32), new AddressRange(160, 4096 - 160)], FreeRanges(allocator));
        allocator.CheckInvariants();

        Assert.True(allocator.TryAllocate(20, 16, out long first));
        Assert.True(allocator.TryAllocate(32, 1, out long second));
        Assert.True(allocator.TryAllocate(32, 1, out long third));

        Assert.Equal([offsets[3], offsets[1], 160], [first, second, third]);
        Assert.Equal(0, allocator.FrontCachedBlockCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void TheDefaultPolicyParksNothing()
    {
        var plain = new SegregatedFitAllocator(4096);
        long[] offsets = AllocateAll(plain, 32, 3);

        plain.Free(offsets[1], 32, 1);

        Assert.Equal(0, plain.FrontCacheDepth);
        Assert.Equal(0, plain.FrontCachedBlockCount);
        Assert.True(plain.TryAllocate(16, 1, out long reused));
        Assert.Equal(32, reused);
    }

    [Fact]
    public void AParkedBlockNextToAFreeBlockIsReportedAsOneFreeRange()
    {
        SegregatedFitAllocator allocator = Cached(4096, depth: 4);
        long[] offsets = AllocateAll(allocator, 32, 3);

        allocator.Free(offsets[2], 32, 1);

        Assert.Equal([new AddressRange(64, 4096 - 64)], FreeRanges(allocator));
        Assert.Equal(2, allocator.FreeBlockCount);
        Assert.Equal(4096 - 96, allocator.LargestFreeBlock);

        allocator.FlushFrontCache();

        Assert.Equal([new AddressRange(64, 4096 - 64)], FreeRanges(allocator));
        Assert.Equal(1, allocator.FreeBlockCount);
        Assert.Equal(4096 - 64, allocator.LargestFreeBlock);
        allocator.CheckInvariants();
    }

    [Fact]
    public void AFullListSendsTheFreedBlockToTheDefaultPath()
    {
        SegregatedFitAllocator allocator = Cached(4096, depth: 1);
        long[] offsets = AllocateAll(allocator, 32, 4);

        allocator.Free(offsets[0], 32, 1);
        allocator.Free(offsets[2], 32, 1);
        allocator.Free(offsets[3], 32, 1);

        Assert.Equal(1, allocator.FrontCachedBlockCount);
        Assert.Equal([new AddressRange(0, 32), new AddressRange(64, 4096 - 64)], FreeRanges(allocator));
        Assert.Equal(2, allocator.FreeBlockCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void OnlyBlocksUpToTheLargestCachedSizeAndOnlyGranuleAlignedRequestsUseTheCache()
    {
        SegregatedFitAllocator allocator = Cached(1 << 16, depth: 4);
        Assert.True(allocator.TryAllocate(SegregatedFitAllocator.FrontCacheMaxBlockBytes + 1, 1, out long large));
        Assert.True(allocator.TryAllocate(64, 1, out long small));
        Assert.True(allocator.TryAllocate(16, 1, out _));

        allocator.Free(large, SegregatedFitAllocator.FrontCacheMaxBlockBytes + 1, 1);
        allocator.Free(small, 64, 1);

        Assert.Equal(1, allocator.FrontCachedBlockCount);
        Assert.True(allocator.TryAllocate(64, 64, out long aligned));
        Assert.NotEqual(small, aligned);
        Assert.Equal(1, allocator.FrontCachedBlockCount);
        Assert.True(allocator.TryAllocate(64, 16, out long granuleAligned));
        Assert.Equal(small, granuleAligned);
        allocator.CheckInvariants();
    }

    [Fact]
    public void AnAllocationThatWouldFailFlushesTheCacheFirst()
    {
        SegregatedFitAllocator allocator = Cached(128, depth: 4);
        long[] offsets = AllocateAll(allocator, 32, 4);
        foreach (long offset in offsets)
        {
            allocator.Free(offset, 32, 1);
        }

        Assert.Equal(4, allocator.FrontCachedBlockCount);
        Assert.True(allocator.TryAllocate(128, 1, out long whole));

        Assert.Equal(0, whole);
        Assert.Equal(0, allocator.FrontCachedBlockCount);
        Assert.Equal(0, allocator.FreeBytes);
        allocator.CheckInvariants();
    }

    [Fact]
    public void AFailedAllocationLeavesTheCacheFlushedAndTheRangesAsTheyWere()
    {
        SegregatedFitAllocator allocator = Cached(128, depth: 4);
        long[] offsets = AllocateAll(allocator, 32, 4);
        allocator.Free(offsets[1], 32, 1);
        allocator.Free(offsets[2], 32, 1);

        Assert.False(allocator.TryAllocate(80, 1, out _));

        Assert.Equal(0, allocator.FrontCachedBlockCount);
        Assert.Equal([new AddressRange(32, 64)], FreeRanges(allocator));
        Assert.Equal(1, allocator.FreeBlockCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void GrowFlushesTheCacheSoTheTailMerges()
    {
        SegregatedFitAllocator allocator = Cached(64, depth: 4);
        long[] offsets = AllocateAll(allocator, 32, 2);
        allocator.Free(offsets[1], 32, 1);

        allocator.Grow(64);

        Assert.Equal(0, allocator.FrontCachedBlockCount);
        Assert.Equal([new AddressRange(32, 96)], FreeRanges(allocator));
        Assert.Equal(1, allocator.FreeBlockCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreeingAParkedBlockAgainThrowsAndChangesNothing()
    {
        SegregatedFitAllocator allocator = Cached(4096, depth: 4);
        long[] offsets = AllocateAll(allocator, 32, 2);
        allocator.Free(offsets[0], 32, 1);
        Snapshot before = Snapshot.Of(allocator);

        ArgumentException error = Assert.Throws<ArgumentException>(() => allocator.Free(offsets[0], 32, 1));

        Assert.Contains("not the start of a live allocation", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot.Of(allocator));
        Assert.Equal(1, allocator.FrontCachedBlockCount);
        allocator.CheckInvariants();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(SegregatedFitOptions.MaxFrontCacheDepth + 1)]
    public void AnOutOfRangeDepthIsRejected(int depth)
    {
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new SegregatedFitAllocator(4096, new SegregatedFitOptions { FrontCacheDepth = depth }));

        Assert.Contains($"FrontCacheDepth is {depth}", error.Message, StringComparison.Ordinal);
    }

    private static long[] AllocateAll(SegregatedFitAllocator allocator, long size, int count)
    {
        var offsets = new long[count];
        for (int i = 0; i < count; i++)
        {
            Assert.True(allocator.TryAllocate(size, 1, out offsets[i]));
        }

        return offsets;
    }

    [Fact]
    public void TheDeepestCacheIsAcceptedAndParksThatManyBlocksOfASize()
    {
        var allocator = new SegregatedFitAllocator(1 << 16, new SegregatedFitOptions { FrontCacheDepth = SegregatedFitOptions.MaxFrontCacheDepth });
        var blocks = new long[SegregatedFitOptions.MaxFrontCacheDepth + 1];
        for (int i = 0; i < blocks.Length; i++)
        {
            Assert.True(allocator.TryAllocate(16, 16, out blocks[i]));
        }

        foreach (long block in blocks)
        {
            allocator.Free(block, 16, 16);
        }

        Assert.Equal(SegregatedFitOptions.MaxFrontCacheDepth, allocator.FrontCachedBlockCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void ABlockOfExactlyTheCacheLimitIsParkedAndHandedOutAgain()
    {
        // 1 KiB is the largest size the cache takes, both when the block is freed and when it is asked for.
        var allocator = new SegregatedFitAllocator(8192, new SegregatedFitOptions { FrontCacheDepth = 1 });
        Assert.True(allocator.TryAllocate(SegregatedFitAllocator.FrontCacheMaxBlockBytes, 16, out long first));
        Assert.True(allocator.TryAllocate(16, 16, out _));
        allocator.Free(first, SegregatedFitAllocator.FrontCacheMaxBlockBytes, 16);
        Assert.Equal(1, allocator.FrontCachedBlockCount);

        Assert.True(allocator.TryAllocate(SegregatedFitAllocator.FrontCacheMaxBlockBytes, 16, out long again));

        Assert.Equal(first, again);
        Assert.Equal(0, allocator.FrontCachedBlockCount);
        allocator.CheckInvariants();
    }
}
