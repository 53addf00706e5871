using Veralloc.Allocators.SegregatedFit;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;

namespace Veralloc.Tests.Unit.SegregatedFit;

/// <summary>
/// Each test breaks one thing through an internal hook and asserts that <see cref="SegregatedFitAllocator.CheckInvariants"/>
/// reports exactly the SEG-* id that names the damage, with the whole message; every check branch that a single
/// corruption can reach has its test.
/// </summary>
public sealed class SegregatedFitCorruptionTests
{
    // Handles in ThreeUsedTwoFree: 0 = used[0] [0, +16), 1 = the gap [16, +16), 2 = used[1] [32, +16),
    // 3 = used[2] [48, +16), 4 = the free rest [64, +4032). With the default 4 second-level bits, a free block of
    // u < 16 granules is on free list (0,u).

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Aligned)]
    public void AlignedViolationIsReported()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out _);
        int last = allocator.HandleAtForTest(LastFreeOffset(allocator));
        allocator.SetSizeForTest(last, 8);

        AssertReports(allocator, SegregatedFitInvariantIds.Aligned,
            "SEG-ALIGNED at block 4 [64, +8) Free: offset 64 and size 8 must be multiples of the granule 16, and the size at least one granule");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedForALiveRecordMarkedDead()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.SetStateForTest(allocator.HandleAtForTest(used[1]), SegregatedFitAllocator.BlockState.Dead);

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            "SEG-PHYS at record table: 4 records are live but 5 were handed out and 0 are on the reuse stack");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedForALiveRecordOnTheReuseStack()
    {
        SegregatedFitAllocator allocator = UsedFreeUsedUsedFreeWithOneDeadRecord(out long[] used);
        allocator.SetReuseStackEntryForTest(0, allocator.HandleAtForTest(used[0]));

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            "SEG-PHYS at reuse stack entry #0: record 0 is on the reuse stack but is not a dead record");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedForAReuseStackEntryNeverHandedOut()
    {
        // The stack names the first record past the high-water mark, whose slot still holds a default record (which reads
        // as dead). Popping it would hand that record out while the high-water mark still counts it as never used, so
        // the next new record would be the same one.
        SegregatedFitAllocator allocator = UsedFreeUsedUsedFreeWithOneDeadRecord(out _);
        int highWater = allocator.RecordsHandedOutForTest;
        allocator.SetReuseStackEntryForTest(0, highWater);

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            $"SEG-PHYS at reuse stack entry #0: record {highWater} is on the reuse stack but is not a dead record");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedForALinkPastTheRecordsWhenTheRecordTableIsFull()
    {
        SegregatedFitAllocator allocator = WithAFullRecordTable(out long used);
        int handle = allocator.HandleAtForTest(used);
        allocator.SetPhysicalNextForTest(handle, 2);

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            $"SEG-PHYS at physical link from {handle}: links to record 2, which is not a live record");
    }

    [Fact]
    public void ADeadRecordsStaleFieldsAreNotCheckedAndAreRewrittenWhenTheRecordIsReused()
    {
        // Record 4, merged away, waits on the reuse stack with the fields of the block it was. Nothing reads them: the
        // checker skips dead records, and the split that takes the record back writes every field.
        SegregatedFitAllocator allocator = UsedFreeUsedUsedFreeWithOneDeadRecord(out _);
        int recordsHandedOut = allocator.RecordsHandedOutForTest;
        allocator.SetSizeForTest(4, 8);
        allocator.CheckInvariants();

        Assert.True(allocator.TryAllocate(16, 1, out long reused));
        Assert.Equal(recordsHandedOut, allocator.RecordsHandedOutForTest);
        allocator.CheckInvariants();
        allocator.Free(reused, 16, 1);
        allocator.CheckInvariants();
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedForALinkToAMergedAwayRecord()
    {
        // The last block kept its link to the record it absorbed, as a merge that forgot to relink would leave it.
        SegregatedFitAllocator allocator = UsedFreeUsedUsedFreeWithOneDeadRecord(out long[] used);
        allocator.SetPhysicalNextForTest(allocator.HandleAtForTest(used[2]), 4);

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            "SEG-PHYS at physical link from 3: links to record 4, which is not a live record");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedForACyclicChain()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.SetPhysicalNextForTest(allocator.HandleAtForTest(LastFreeOffset(allocator)), allocator.HandleAtForTest(used[0]));

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            "SEG-PHYS at block 0 [0, +16) Used: the physical walk passed 5 blocks, the number of live records: the chain is cyclic");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedForAWrongPreviousLink()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.SetPhysicalPrevForTest(allocator.HandleAtForTest(used[2]), allocator.HandleAtForTest(used[0]));

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            "SEG-PHYS at block 3 [48, +16) Used: its physical previous link is 0 but the walk came from 2");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedForAPreviousLinkOnTheFirstBlock()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.SetPhysicalPrevForTest(allocator.HandleAtForTest(used[0]), allocator.HandleAtForTest(used[1]));

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            "SEG-PHYS at block 0 [0, +16) Used: its physical previous link is 2 but the walk came from none");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedWhenTheBlocksDoNotTileTheRange()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        int first = allocator.HandleAtForTest(used[0]);
        allocator.SetSizeForTest(first, 32);

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            "SEG-PHYS at block 1 [16, +16) Free: blocks must tile [0, 4096): expected offset 32 and an end inside the range, found offset 16 size 16");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Physical)]
    public void PhysicalViolationIsReportedWhenTheChainEndsBeforeTheTail()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.SetPhysicalNextForTest(allocator.HandleAtForTest(used[1]), -1);

        AssertReports(allocator, SegregatedFitInvariantIds.Physical,
            "SEG-PHYS at physical chain: the walk ended at offset 48 (capacity 4096) on record 2 (tail 4) after 3 of 5 live records");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.NoFreeNeighbours)]
    public void NoFreeNeighboursViolationIsReported()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.MarkFreeWithoutCoalescingForTest(allocator.HandleAtForTest(used[2]));

        AssertReports(allocator, SegregatedFitInvariantIds.NoFreeNeighbours,
            "SEG-NOFREENBR at block 3 [48, +16) Free: it and its physical successor block 4 [64, +4032) Free are both free; freeing must have coalesced them");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Bitmap)]
    public void BitmapViolationIsReportedForTheBitOfAnEmptyList()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out _);
        allocator.FlipSecondLevelBitForTest(0, 3);

        AssertReports(allocator, SegregatedFitInvariantIds.Bitmap,
            "SEG-BITMAP at free list (0,3): the second-level bit is True but the list is empty");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Bitmap)]
    public void BitmapViolationIsReportedForANonEmptyListWithoutItsBit()
    {
        SegregatedFitAllocator allocator = OneAndTwoGranuleGaps(frontCacheDepth: 0, out _);
        allocator.FlipSecondLevelBitForTest(0, 2);

        AssertReports(allocator, SegregatedFitInvariantIds.Bitmap,
            "SEG-BITMAP at free list (0,2): the second-level bit is False but the list is non-empty");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Bitmap)]
    public void BitmapViolationIsReportedForAFirstLevelBitThatDisagreesWithItsSecondLevelMap()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out _);
        allocator.FlipFirstLevelBitForTest(0);

        AssertReports(allocator, SegregatedFitInvariantIds.Bitmap,
            "SEG-BITMAP at first level 0: the first-level bit is False but the second-level bitmap is 0x2");
    }

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

        AssertReports(allocator, SegregatedFitInvariantIds.Lists,
            "SEG-LISTS at free list (0,1) element 0: next[4] = 0 but prev[0] = 2; they must agree");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Lists)]
    public void ListsViolationIsReportedForAUsedBlockLeftOnAFreeList()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.SetStateForTest(allocator.HandleAtForTest(used[0] + 16), SegregatedFitAllocator.BlockState.Used);

        AssertReports(allocator, SegregatedFitInvariantIds.Lists,
            "SEG-LISTS at free list (0,1) element 1: only free blocks belong on a free list");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Lists)]
    public void ListsViolationIsReportedForABlockOnTwoLists()
    {
        // The one-granule gap (handle 1) is on list (0,1); list (0,2) is pointed at it instead of the two-granule gap.
        SegregatedFitAllocator allocator = OneAndTwoGranuleGaps(frontCacheDepth: 0, out long[] gaps);
        allocator.SetListEndsForTest(0, 2, allocator.HandleAtForTest(gaps[0]));

        AssertReports(allocator, SegregatedFitInvariantIds.Lists,
            "SEG-LISTS at free list (0,2) element 1: the block is on a free list more than once");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Lists)]
    public void ListsViolationIsReportedForABlockOnAnotherSizesList()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.FileFreeBlockAsForTest(allocator.HandleAtForTest(used[0] + 16), 2);

        AssertReports(allocator, SegregatedFitInvariantIds.Lists,
            "SEG-LISTS at free list (0,2) element block 1 [16, +16) Free: its size belongs on free list (0,1)");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Lists)]
    public void ListsViolationIsReportedForAFreeBlockOnNoList()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.UnlinkFreeBlockForTest(allocator.HandleAtForTest(used[0] + 16));

        AssertReports(allocator, SegregatedFitInvariantIds.Lists,
            "SEG-LISTS at block 1 [16, +16) Free: the block is free but on no free list");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Conserve)]
    public void ConserveViolationIsReported()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out _);
        allocator.SetFreeBytesForTest(allocator.FreeBytes + 16);

        AssertReports(allocator, SegregatedFitInvariantIds.Conserve,
            "SEG-CONSERVE at counters: the blocks hold 4048 free bytes in 2 free blocks and 3 used blocks, but the counters say 4064 bytes, 2 free and 3 used");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.UsedMap)]
    public void UsedMapViolationIsReportedForAMissingEntry()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        allocator.ForgetUsedOffsetForTest(used[1]);

        AssertReports(allocator, SegregatedFitInvariantIds.UsedMap,
            "SEG-USEDMAP at offset map: 2 of its 256 slots are occupied, it counts 2 entries, and 3 blocks are used and 0 parked; all three must agree, and some slot must be empty");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.UsedMap)]
    public void UsedMapViolationIsReportedForAnEntryNamingAFreeBlock()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        int slot = allocator.SetUsedOffsetHandleForTest(used[1], allocator.HandleAtForTest(used[0] + 16));

        AssertReports(allocator, SegregatedFitInvariantIds.UsedMap,
            $"SEG-USEDMAP at offset map slot {slot}: it names record 1, which is not a used or parked block with the slot's tag {used[1] / 16}");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.UsedMap)]
    public void UsedMapViolationIsReportedForAnEntryNamingAFreeBlockWithThatBlocksTag()
    {
        // The entry's tag agrees with the record it names, so only the record's state shows the entry is wrong.
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        int slot = allocator.SetUsedOffsetEntryForTest(used[1], used[0] + 16);

        AssertReports(allocator, SegregatedFitInvariantIds.UsedMap,
            $"SEG-USEDMAP at offset map slot {slot}: it names record 1, which is not a used or parked block with the slot's tag {(used[0] + 16) / 16}");
    }

    // With the record table exactly full, the first handle past the records handed out is past the array too: the
    // checks must report it, never index with it (CheckInvariants throws nothing but the violation).

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Cache)]
    public void CacheViolationIsReportedForALinkPastTheRecordsWhenTheRecordTableIsFull()
    {
        SegregatedFitAllocator allocator = WithAFullRecordTable(out long parked, frontCacheDepth: 4);
        allocator.Free(parked, 32, 16);
        allocator.CheckInvariants();

        allocator.SetFrontCacheNextForTest(allocator.HandleAtForTest(parked), 2);

        AssertReports(allocator, SegregatedFitInvariantIds.Cache, "SEG-CACHE at front cache list 2 element 2: only parked blocks belong on a front-cache list");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.UsedMap)]
    public void UsedMapViolationIsReportedForAnEntryPastTheRecordsWhenTheRecordTableIsFull()
    {
        SegregatedFitAllocator allocator = WithAFullRecordTable(out long used);
        int slot = allocator.SetUsedOffsetHandleForTest(used, 2);

        AssertReports(allocator, SegregatedFitInvariantIds.UsedMap,
            $"SEG-USEDMAP at offset map slot {slot}: it names record 2, which is not a used or parked block with the slot's tag {used / 16}");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.UsedMap)]
    public void UsedMapViolationIsReportedForAnEntryItsLookupCannotReach()
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out long[] used);
        int slot = allocator.MoveUsedOffsetForTest(used[1]);

        AssertReports(allocator, SegregatedFitInvariantIds.UsedMap,
            $"SEG-USEDMAP at offset map entry {used[1]}: a lookup of offset {used[1]} does not reach slot {slot}, where it is stored: its probe run is broken");
    }

    // Handles in TwoParkedOfOneSize: 0 [0, +32) used, 1 [32, +32) parked (older), 2 [64, +32) used,
    // 3 [96, +32) parked (newest), 4 [128, +32) used, 5 the free rest. Front-cache list 2 is 3 -> 1.

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Cache)]
    public void CacheViolationIsReportedForAListShorterThanItsCount()
    {
        SegregatedFitAllocator allocator = TwoParkedOfOneSize(out long newest, out _);
        allocator.SetFrontCacheNextForTest(allocator.HandleAtForTest(newest), -1);

        AssertReports(allocator, SegregatedFitInvariantIds.Cache,
            "SEG-CACHE at front cache list 2: it holds 1 blocks but its count says 2");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Cache)]
    public void CacheViolationIsReportedForAUsedBlockOnACacheList()
    {
        SegregatedFitAllocator allocator = TwoParkedOfOneSize(out _, out long oldest);
        allocator.SetFrontCacheNextForTest(allocator.HandleAtForTest(oldest), allocator.HandleAtForTest(0));

        AssertReports(allocator, SegregatedFitInvariantIds.Cache,
            "SEG-CACHE at front cache list 2 element 0: only parked blocks belong on a front-cache list");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Cache)]
    public void CacheViolationIsReportedForACyclicCacheList()
    {
        SegregatedFitAllocator allocator = TwoParkedOfOneSize(out long newest, out long oldest);
        allocator.SetFrontCacheNextForTest(allocator.HandleAtForTest(oldest), allocator.HandleAtForTest(newest));

        AssertReports(allocator, SegregatedFitInvariantIds.Cache,
            "SEG-CACHE at front cache list 2 element 3: the block is on a front-cache list more than once (or the list is cyclic)");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Cache)]
    public void CacheViolationIsReportedForABlockOnAnotherSizesCacheList()
    {
        // Parked: the one-granule gap (handle 1) on list 1, the two-granule gap (handle 3) on list 2.
        SegregatedFitAllocator allocator = OneAndTwoGranuleGaps(frontCacheDepth: 4, out long[] gaps);
        allocator.SetFrontCacheNextForTest(allocator.HandleAtForTest(gaps[0]), allocator.HandleAtForTest(gaps[1]));

        AssertReports(allocator, SegregatedFitInvariantIds.Cache,
            "SEG-CACHE at front cache list 1 element 3 block 3 [48, +32) Cached: list 1 holds blocks of 1 granules only");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Cache)]
    public void CacheViolationIsReportedForAParkedBlockOnNoCacheList()
    {
        SegregatedFitAllocator allocator = TwoParkedOfOneSize(out _, out _);
        allocator.SetStateForTest(allocator.HandleAtForTest(0), SegregatedFitAllocator.BlockState.Cached);

        AssertReports(allocator, SegregatedFitInvariantIds.Cache,
            "SEG-CACHE at block 0 [0, +32) Cached: the block is parked but on no front-cache list");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.Cache)]
    public void CacheViolationIsReportedForAMiscountedParkedByteTotal()
    {
        SegregatedFitAllocator allocator = TwoParkedOfOneSize(out _, out _);
        allocator.SetCachedBytesForTest(80);

        AssertReports(allocator, SegregatedFitInvariantIds.Cache,
            "SEG-CACHE at front cache counters: the lists park 2 blocks of 64 bytes, but the counters say 2 blocks of 80 bytes");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.CacheBound)]
    public void CacheBoundViolationIsReportedForAListDeeperThanTheDepth()
    {
        SegregatedFitAllocator allocator = TwoParkedOfOneSize(out _, out _);
        allocator.SetFrontCacheDepthForTest(1);

        AssertReports(allocator, SegregatedFitInvariantIds.CacheBound,
            "SEG-CACHEBOUND at front cache list 2: it parks 2 blocks; the depth is 1 and blocks are 1..64 granules");
    }

    [Fact]
    [TriggersInvariant(SegregatedFitInvariantIds.CacheBound)]
    public void CacheBoundViolationIsReportedForACacheTurnedOffWithItsLists()
    {
        SegregatedFitAllocator allocator = TwoParkedOfOneSize(out _, out _);
        allocator.SetFrontCacheDepthForTest(0);

        AssertReports(allocator, SegregatedFitInvariantIds.CacheBound,
            "SEG-CACHEBOUND at front cache: the cache is off but has lists");
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

    /// <summary>
    /// 4096 bytes with a record table of two entries, both handed out: a used 32-byte block and the free rest. A handle
    /// of 2 is then just past the table, where a check that let it through would index outside the array.
    /// </summary>
    private static SegregatedFitAllocator WithAFullRecordTable(out long used, int frontCacheDepth = 0)
    {
        var allocator = new SegregatedFitAllocator(4096, new SegregatedFitOptions { FrontCacheDepth = frontCacheDepth, InitialBlockRecords = 2 });
        Assert.True(allocator.TryAllocate(32, 16, out used));
        Assert.Equal(2, allocator.RecordsHandedOutForTest);
        allocator.CheckInvariants();
        return allocator;
    }

    /// <summary>As <see cref="ThreeUsedTwoFree"/>, then used[2] freed: it absorbs the free rest, whose record 4 goes on the reuse stack.</summary>
    private static SegregatedFitAllocator UsedFreeUsedUsedFreeWithOneDeadRecord(out long[] used)
    {
        SegregatedFitAllocator allocator = ThreeUsedTwoFree(out used);
        allocator.Free(used[2], 16, 1);
        allocator.CheckInvariants();
        Assert.Equal(3, allocator.HandleAtForTest(used[2]));
        return allocator;
    }

    /// <summary>
    /// used | gap of 16 (handle 1) | used | gap of 32 (handle 3) | used | free (to the end); the gaps are free, or
    /// parked when the front cache is on.
    /// </summary>
    private static SegregatedFitAllocator OneAndTwoGranuleGaps(int frontCacheDepth, out long[] gaps)
    {
        var allocator = new SegregatedFitAllocator(4096, new SegregatedFitOptions { FrontCacheDepth = frontCacheDepth });
        long[] sizes = [16, 16, 16, 32, 16];
        var offsets = new long[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            Assert.True(allocator.TryAllocate(sizes[i], 1, out offsets[i]));
        }

        allocator.Free(offsets[1], 16, 1);
        allocator.Free(offsets[3], 32, 1);
        allocator.CheckInvariants();
        gaps = [offsets[1], offsets[3]];
        return allocator;
    }

    private static long LastFreeOffset(SegregatedFitAllocator allocator) =>
        SegregatedFitAllocatorTests.FreeRanges(allocator)[^1].Start;

    /// <summary>
    /// The whole message, not only the id: it is what an operator reads to find the damage, so it must name the
    /// offending block, list or slot and the values that disagree.
    /// </summary>
    private static void AssertReports(SegregatedFitAllocator allocator, string invariantId, string message)
    {
        var error = InvariantAssert.Violates(invariantId, allocator.CheckInvariants);
        Assert.Equal(message, error.Message);
    }
}
