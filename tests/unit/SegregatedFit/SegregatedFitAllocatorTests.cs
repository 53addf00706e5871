using Veralloc.Allocators.SegregatedFit;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.SegregatedFit;

public sealed class SegregatedFitAllocatorTests
{
    private const long Granule = SegregatedFitAllocator.GranuleBytes;

    [Fact]
    public void FreshAllocatorIsOneFreeBlockCoveringTheRange()
    {
        var allocator = new SegregatedFitAllocator(4096);

        Assert.Equal(4096, allocator.CapacityBytes);
        Assert.Equal(4096, allocator.FreeBytes);
        Assert.Equal(1, allocator.FreeBlockCount);
        Assert.Equal(0, allocator.UsedBlockCount);
        Assert.Equal(4096, allocator.LargestFreeBlock);
        Assert.Equal([new AddressRange(0, 4096)], FreeRanges(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void AllocationsAreCarvedFromTheFrontAndRoundedToTheGranule()
    {
        var allocator = new SegregatedFitAllocator(4096);

        Assert.True(allocator.TryAllocate(1, 1, out long first));
        Assert.True(allocator.TryAllocate(17, 8, out long second));

        Assert.Equal(0, first);
        Assert.Equal(16, second);
        Assert.Equal(16 + 32, allocator.UsedBytes);
        Assert.Equal([new AddressRange(48, 4096 - 48)], FreeRanges(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void LargeAlignmentSplitsTheGapBeforeTheAlignedOffsetIntoAFreeBlock()
    {
        var allocator = new SegregatedFitAllocator(4096);
        Assert.True(allocator.TryAllocate(16, 1, out _));

        Assert.True(allocator.TryAllocate(16, 256, out long aligned));

        Assert.Equal(256, aligned);
        Assert.Equal([new AddressRange(16, 240), new AddressRange(272, 4096 - 272)], FreeRanges(allocator));
        Assert.Equal(2, allocator.UsedBlockCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreeCoalescesWithBothFreeNeighboursIntoOneBlock()
    {
        var allocator = new SegregatedFitAllocator(4096);
        Assert.True(allocator.TryAllocate(100, 1, out long a));
        Assert.True(allocator.TryAllocate(100, 1, out long b));
        Assert.True(allocator.TryAllocate(100, 1, out long c));

        allocator.Free(a, 100, 1);
        allocator.Free(c, 100, 1);
        Assert.Equal(2, allocator.FreeBlockCount);
        allocator.CheckInvariants();
        allocator.Free(b, 100, 1);

        Assert.Equal([new AddressRange(0, 4096)], FreeRanges(allocator));
        Assert.Equal(1, allocator.FreeBlockCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void RequestForTheWholeUnalignedCapacitySucceedsThroughTheOwnListFallback()
    {
        // 1000 granules is not a list boundary (with 4 second-level bits the boundaries near it are 992 and 1024),
        // so only the O(1) look at the request's own list finds the single block.
        var allocator = new SegregatedFitAllocator(1000 * Granule);

        Assert.True(allocator.TryAllocate(1000 * Granule, 1, out long offset));

        Assert.Equal(0, offset);
        Assert.Equal(0, allocator.FreeBytes);
        allocator.CheckInvariants();
    }

    [Fact]
    public void GoodFitCanMissABlockBelowTheRoundedClassAsDocumented()
    {
        // Blocks of 32 and 33 granules share list (2,0) [32..33]; a 33-granule request rounds to 34, finds no list
        // at or above it, and the own-list fallback only looks at the head, the 32-granule block.
        var allocator = new SegregatedFitAllocator((32 + 1 + 33 + 1) * Granule);
        Assert.True(allocator.TryAllocate(32 * Granule, 1, out long a));
        Assert.True(allocator.TryAllocate(Granule, 1, out _));
        Assert.True(allocator.TryAllocate(33 * Granule, 1, out long c));
        Assert.True(allocator.TryAllocate(Granule, 1, out _));
        allocator.Free(c, 33 * Granule, 1);
        allocator.Free(a, 32 * Granule, 1);

        Assert.False(allocator.TryAllocate(33 * Granule, 1, out _));

        Assert.Equal(33 * Granule, allocator.LargestFreeBlock);
        Assert.Equal(34 * Granule, allocator.SufficientFreeBlockBytes(33 * Granule, 1));
        Assert.True(allocator.TryAllocate(32 * Granule, 1, out long reused));
        Assert.Equal(a, reused);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FailedAllocationChangesNothing()
    {
        var allocator = new SegregatedFitAllocator(1024);
        Assert.True(allocator.TryAllocate(512, 1, out _));
        Snapshot before = Snapshot.Of(allocator);

        Assert.False(allocator.TryAllocate(513, 1, out _));
        Assert.False(allocator.TryAllocate(16, 1024, out _));

        Assert.Equal(before, Snapshot.Of(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void GrowCoalescesWithAFreeLastBlock()
    {
        var allocator = new SegregatedFitAllocator(1024);
        Assert.True(allocator.TryAllocate(16, 1, out _));

        allocator.Grow(1024);

        Assert.Equal(2048, allocator.CapacityBytes);
        Assert.Equal([new AddressRange(16, 2048 - 16)], FreeRanges(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void GrowAfterAUsedLastBlockAddsAFreeBlock()
    {
        var allocator = new SegregatedFitAllocator(1024);
        Assert.True(allocator.TryAllocate(1024, 1, out _));

        allocator.Grow(512);

        Assert.Equal([new AddressRange(1024, 512)], FreeRanges(allocator));
        Assert.True(allocator.TryAllocate(512, 1, out long offset));
        Assert.Equal(1024, offset);
        allocator.CheckInvariants();
    }

    [Fact]
    public void BlockRecordsAreRecycledAndTheRecordArraysGrow()
    {
        var allocator = new SegregatedFitAllocator(1 << 16, new SegregatedFitOptions { InitialBlockRecords = 1 });
        var offsets = new List<long>();
        for (int i = 0; i < 100; i++)
        {
            Assert.True(allocator.TryAllocate(16, 1, out long offset));
            offsets.Add(offset);
        }

        allocator.CheckInvariants();
        foreach (long offset in offsets)
        {
            allocator.Free(offset, 16, 1);
        }

        Assert.Equal([new AddressRange(0, 1 << 16)], FreeRanges(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void ChurnReusesTheRecordsOfMergedBlocksInsteadOfGrowingTheRecordTable()
    {
        // Metadata is bounded by the most blocks ever live at once, not by the number of operations.
        var allocator = new SegregatedFitAllocator(4096);
        for (int round = 0; round < 1000; round++)
        {
            Assert.True(allocator.TryAllocate(16, 1, out long a));
            Assert.True(allocator.TryAllocate(32, 1, out long b));
            allocator.Free(a, 16, 1);
            allocator.Free(b, 32, 1);
        }

        Assert.Equal(3, allocator.RecordsHandedOutForTest);
        Assert.Equal([new AddressRange(0, 4096)], FreeRanges(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void LargestFreeBlockIsZeroWhenEveryByteIsUsed()
    {
        var allocator = new SegregatedFitAllocator(4096);
        Assert.True(allocator.TryAllocate(4096, 1, out _));

        Assert.Equal(0, allocator.LargestFreeBlock);
        Assert.Equal(0, allocator.FreeBlockCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void AnAlignedRequestFitsAFreeBlockOfExactlyItsSufficientSize()
    {
        // The one free block, [16, 128), starts one granule past a 64-byte boundary: the largest possible gap
        // (alignment minus a granule) lies before the aligned position, and the block holds exactly gap + size.
        var allocator = new SegregatedFitAllocator(128);
        Assert.True(allocator.TryAllocate(16, 1, out _));
        Assert.Equal(112, allocator.SufficientFreeBlockBytes(64, 64));
        Assert.Equal(112, allocator.LargestFreeBlock);

        Assert.True(allocator.TryAllocate(64, 64, out long offset));

        Assert.Equal(64, offset);
        Assert.Equal([new AddressRange(16, 48)], FreeRanges(allocator));
        allocator.CheckInvariants();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void EverySecondLevelWidthWorks(int secondLevelBits)
    {
        var allocator = new SegregatedFitAllocator(1 << 20, new SegregatedFitOptions { SecondLevelBits = secondLevelBits });
        var live = new List<(long Offset, long Size)>();
        for (long size = 1; size < 5000; size = (size * 3) + 1)
        {
            Assert.True(allocator.TryAllocate(size, 32, out long offset));
            Assert.Equal(0, offset % 32);
            live.Add((offset, size));
            allocator.CheckInvariants();
        }

        foreach ((long offset, long size) in live)
        {
            allocator.Free(offset, size, 32);
            allocator.CheckInvariants();
        }

        Assert.Equal(1 << 20, allocator.LargestFreeBlock);
        Assert.Equal(secondLevelBits, allocator.SecondLevelBits);
    }

    internal static List<AddressRange> FreeRanges(SegregatedFitAllocator allocator)
    {
        var ranges = new List<AddressRange>();
        allocator.CopyFreeRanges(ranges);
        return ranges;
    }

    internal sealed record Snapshot(long Capacity, long FreeBytes, int FreeBlocks, int UsedBlocks, string Ranges)
    {
        public static Snapshot Of(SegregatedFitAllocator allocator) =>
            new(allocator.CapacityBytes, allocator.FreeBytes, allocator.FreeBlockCount, allocator.UsedBlockCount,
                string.Join(",", FreeRanges(allocator)));
    }
}
