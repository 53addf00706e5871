using Veralloc.Allocators.SegregatedFit;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;

namespace Veralloc.Tests.Unit.SegregatedFit;

/// <summary>For every SEG-* id: break exactly that invariant and assert CheckInvariants reports exactly that id.</summary>
public sealed class SegregatedFitCorruptionTests
{
    /// <summary>Corrupts the structure so that exactly SEG-ALIGNED is reported.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Aligned)]
    public void AlignedViolationIsReported()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out _);
        int last = allocator.HandleAtForTest(LastFreeOffset(allocator));
        allocator.SetSizeForTest(last, 8);

        AssertViolation(allocator, SegregatedFitInvariantIds.Aligned);
    }

    /// <summary>Corrupts the structure so that exactly SEG-PHYS is reported.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReported()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.SetPhysicalPrevForTest(allocator.HandleAtForTest(used[2]), allocator.HandleAtForTest(used[0]));

        AssertViolation(allocator, SegregatedFitInvariantIds.Physical);
    }

    /// <summary>Corrupts the structure so that exactly SEG-PHYS is reported.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedWhenTheBlocksDoNotTileTheRange()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        int first = allocator.HandleAtForTest(used[0]);
        allocator.SetSizeForTest(first, 32);

        AssertViolation(allocator, SegregatedFitInvariantIds.Physical);
    }

    /// <summary>Corrupts the structure so that exactly SEG-NOFREENBR is reported.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.NoFreeNeighbours)]
    public void NoFreeNeighboursViolationIsReported()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.MarkFreeWithoutCoalescingForTest(allocator.HandleAtForTest(used[2]));

        AssertViolation(allocator, SegregatedFitInvariantIds.NoFreeNeighbours);
    }

    /// <summary>Corrupts the structure so that exactly SEG-BITMAP is reported.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Bitmap)]
    public void BitmapViolationIsReported()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out _);
        allocator.FlipSecondLevelBitForTest(0, 3);

        AssertViolation(allocator, SegregatedFitInvariantIds.Bitmap);
    }

    /// <summary>Corrupts the structure so that exactly SEG-LISTS is reported.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Lists)]
    public void ListsViolationIsReportedForABrokenLink()
    {
        var allocator = new SegregatedFitAllocator(4096);
        var offsets = new long[6];
        for (int i = 0; i < offsets.Length; i++)
        {
            Assert.True(allocator.TryAllocate(16, 1, out offsets[i]));
        }

        // Free blocks 0, 2 and 4 (one granule each, not adjacent): one list of three.
        allocator.Free(offsets[0], 16, 1);
        allocator.Free(offsets[2], 16, 1);
        allocator.Free(offsets[4], 16, 1);
        allocator.CheckInvariants();
        allocator.SetFreeNextForTest(allocator.HandleAtForTest(offsets[4]), allocator.HandleAtForTest(offsets[0]));

        AssertViolation(allocator, SegregatedFitInvariantIds.Lists);
    }

    /// <summary>Corrupts the structure so that exactly SEG-LISTS is reported.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Lists)]
    public void ListsViolationIsReportedForAFreeBlockOnNoList()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.UnlinkFreeBlockForTest(allocator.HandleAtForTest(used[0] + 16));

        AssertViolation(allocator, SegregatedFitInvariantIds.Lists);
    }

    /// <summary>Corrupts the structure so that exactly SEG-CONSERVE is reported.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Conserve)]
    public void ConserveViolationIsReported()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out _);
        allocator.SetFreeBytesForTest(allocator.FreeBytes + 16);

        AssertViolation(allocator, SegregatedFitInvariantIds.Conserve);
    }

    /// <summary>Corrupts the structure so that exactly SEG-USEDMAP is reported.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.UsedMap)]
    public void UsedMapViolationIsReported()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.ForgetUsedOffsetForTest(used[1]);

        AssertViolation(allocator, SegregatedFitInvariantIds.UsedMap);
    }

    /// <summary>Corrupts the structure so that exactly SEG-CACHE is reported: a cut front-cache list leaves a parked block on no list.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Cache)]
    public void CacheViolationIsReported()
    {
        SegregatedFitAllocator allocator = TwoParkedOfOneSize(out long newest, out _);
        allocator.SetFrontCacheNextForTest(allocator.HandleAtForTest(newest), -1);

        AssertViolation(allocator, SegregatedFitInvariantIds.Cache);
    }

    /// <summary>Corrupts the structure so that exactly SEG-CACHEBOUND is reported: a list holds more blocks than the depth.</summary>
    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.CacheBound)]
    public void CacheBoundViolationIsReported()
    {
        SegregatedFitAllocator allocator = TwoParkedOfOneSize(out _, out _);
        allocator.SetFrontCacheDepthForTest(1);

        AssertViolation(allocator, SegregatedFitInvariantIds.CacheBound);
    }

    /// <summary>used | parked (older) | used | parked (newest) | used | free (to the end), front-cache depth 4.</summary>
    private static SegregatedFitAllocator TwoParkedOfOneSize(out long newest, out long oldest)
    {
        var allocator = new SegregatedFitAllocator(4096, new SegregatedFitOptions { FrontCacheDepth = 4 });
        var offsets = new long[5];
        for (int i = 0; i < offsets.Length; i++)
        {
            Assert.True(allocator.TryAllocate(32, 1, out offsets[i]));
        }

        allocator.Free(offsets[1], 32, 1);
        allocator.Free(offsets[3], 32, 1);
        Assert.Equal(2, allocator.FrontCachedBlockCount);
        allocator.CheckInvariants();
        newest = offsets[3];
        oldest = offsets[1];
        return allocator;
    }

    /// <summary>used[0] | free | used[1] | used[2] | free (to the end).</summary>
    private static SegregatedFitAllocator ThreeUsedTwoFree(out long[] used)
    {
        var allocator = new SegregatedFitAllocator(4096);
        Assert.True(allocator.TryAllocate(16, 1, out long a));
        Assert.True(allocator.TryAllocate(16, 1, out long gap));
        Assert.True(allocator.TryAllocate(16, 1, out long b));
        Assert.True(allocator.TryAllocate(16, 1, out long c));
        allocator.Free(gap, 16, 1);
        allocator.CheckInvariants();
        used = [a, b, c];
        return allocator;
    }

    private static long LastFreeOffset(SegregatedFitAllocator allocator) =>
        SegregatedFitAllocatorTests.FreeRanges(allocator)[^1].Start;

    private static void AssertViolation(SegregatedFitAllocator allocator, string expectedId) =>
        InvariantAssert.Violates(expectedId, allocator.CheckInvariants);
}
