using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;
using static Veralloc.Tests.Unit.FreeList.ThreeFreeBlocksLayout;

namespace Veralloc.Tests.Unit.FreeList;

/// <summary>
/// For every FL-* id: corrupt the list in memory (or the checked-mode side table) so that exactly that
/// invariant breaks first, and check that <see cref="FreeListAllocator.CheckInvariants"/> names it. Most start from
/// <see cref="ThreeFreeBlocksLayout"/>.
/// </summary>
public sealed class FreeListCorruptionTests
{
    private static FreeListAllocator Setup(bool checkedMode = false)
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1), new FreeListOptions { CheckedMode = checkedMode });
        CarveThreeFreeBlocks(allocator);
        allocator.CheckInvariants();
        return allocator;
    }

    /// <summary>
    /// The whole message is compared, not just the id: it is what a user reads to find the damage, so the node, the
    /// values and the rule it names are part of the promise.
    /// </summary>
    private static void AssertViolation(FreeListAllocator allocator, string expectedId, string expectedMessage)
    {
        InvariantViolationException thrown = InvariantAssert.Violates(expectedId, allocator.CheckInvariants);
        Assert.Equal(expectedMessage, thrown.Message);
    }

    /// <summary>Relinks the list as Top, Low, Mid: out of address order, each node still sound.</summary>
    private static void LinkTopLowMid(FreeListAllocator allocator)
    {
        allocator.Memory.WriteWord(Top + Next, Low);
        allocator.Memory.WriteWord(Low + Next, Mid);
        allocator.Memory.WriteWord(Mid + Next, FreeListAllocator.EndOfList);
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Sorted)]
    public void SortedViolationIsReported()
    {
        FreeListAllocator allocator = Setup();
        LinkTopLowMid(allocator);
        AssertViolation(allocator, FreeListInvariantIds.Sorted,
            "FL-SORTED at range #2 [0xffc0, 0xffd0): starts must be strictly descending, but range #1 [0x0, 0xffa0) is followed by [0xffc0, 0xffd0)");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.NonAdjacent)]
    public void NonAdjacentViolationIsReportedForTouchingNodes()
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Mid + Size, 32);
        AssertViolation(allocator, FreeListInvariantIds.NonAdjacent,
            "FL-NONADJ at range #1 [0xffc0, 0xffe0): [0xffc0, 0xffe0) touches its list neighbour #0 [0xffe0, 0xfff0) (adjacent ranges must be merged)");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.NonAdjacent)]
    public void NonAdjacentViolationIsReportedForOverlappingNodes()
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Low + Size, Page - 48);
        AssertViolation(allocator, FreeListInvariantIds.NonAdjacent,
            "FL-NONADJ at range #2 [0x0, 0xffd0): [0x0, 0xffd0) overlaps its list neighbour #1 [0xffc0, 0xffd0)");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Aligned)]
    public void AlignedViolationIsReportedForAMisalignedLink()
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Mid + Next, Low + 8);
        AssertViolation(allocator, FreeListInvariantIds.Aligned,
            "FL-ALIGNED at free list node #2 at 0x8: the link to it points at 0x8, which is not a multiple of NODE (16)");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Aligned)]
    public void AlignedViolationIsReportedForASizeThatIsNotAMultipleOfNode()
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Low + Size, Page - 96 - 8);
        AssertViolation(allocator, FreeListInvariantIds.Aligned, "FL-ALIGNED at range #2 [0x0, 0xff98): size 65432 is not a multiple of 16");
    }

    [Theory]
    [TriggersInvariant(FreeListInvariantIds.Bounds)]
    [InlineData(Page)]
    [InlineData(Page - 8)]
    [InlineData(Page + 4096)]
    [InlineData(-32)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void BoundsViolationIsReportedForALinkOutsideTheHeap(long target)
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Top + Next, target);
        AssertViolation(allocator, FreeListInvariantIds.Bounds,
            $"FL-BOUNDS at free list node #1 at 0x{target:x}: the link to it (the head or the previous node's next word) points outside the heap [0x0, 0x10000) minus one node");
        InvariantAssert.Violates(FreeListInvariantIds.Bounds, () => allocator.FreeBlockCount);
    }

    [Theory]
    [TriggersInvariant(FreeListInvariantIds.Bounds)]
    [InlineData(48)]
    [InlineData(Page)]
    [InlineData(long.MaxValue - 15)]
    public void BoundsViolationIsReportedForANodePastTheHeapEnd(long topSize)
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Top + Size, topSize);
        AssertViolation(allocator, FreeListInvariantIds.Bounds,
            $"FL-BOUNDS at range #0 [0xffe0, 0x{unchecked(Top + topSize):x}): range must lie inside [0x0, 0x10000) but starts at 0xffe0 with size {topSize}");
    }

    [Theory]
    [TriggersInvariant(FreeListInvariantIds.MinimumSize)]
    [InlineData(0)]
    [InlineData(-16)]
    [InlineData(long.MinValue)]
    public void MinimumSizeViolationIsReported(long midSize)
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Mid + Size, midSize);
        AssertViolation(allocator, FreeListInvariantIds.MinimumSize,
            $"FL-MINSIZE at range #1 [0xffc0, 0x{unchecked(Mid + midSize):x}): size {midSize} is below the minimum 16");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Conserved)]
    public void ConservedViolationIsReportedWhenTheNodesLoseBytes()
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Low + Size, Page - 96 - 16);
        AssertViolation(allocator, FreeListInvariantIds.Conserved,
            "FL-CONSERVE at free list: the nodes' sizes sum to 65456 bytes, but the allocator records 65472 free bytes");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Conserved)]
    public void ConservedViolationIsReportedWhenTheLiveTableLosesAnEntry()
    {
        FreeListAllocator allocator = Setup(checkedMode: true);
        Assert.True(allocator.LiveTable!.Remove(Page - 16));
        AssertViolation(allocator, FreeListInvariantIds.Conserved, "FL-CONSERVE at heap: free 65472 + live 48 = 65520 bytes, but 65536 are managed");
        InvariantViolationException fromQuery = InvariantAssert.Violates(FreeListInvariantIds.Conserved, () => allocator.LiveBytes);
        Assert.Equal("FL-CONSERVE at heap: heap 65536 - free 65472 = 64 live bytes, but the live table holds 48", fromQuery.Message);
    }

    [Theory]
    [TriggersInvariant(FreeListInvariantIds.Acyclic)]
    [InlineData(Low, Low)]
    [InlineData(Mid, Low)]
    [InlineData(Top, Mid)]
    public void AcyclicViolationIsReportedForACycle(long lastNext, long elementAtTheBound)
    {
        // A one-page heap holds at most PAGE / NODE = 4096 nodes; the walk stops at element #4096 (counting the head as
        // #0) and names it: Top, Mid, Low, then round the cycle.
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Low + Next, lastNext);
        AssertViolation(allocator, FreeListInvariantIds.Acyclic,
            $"FL-ACYCLIC at free list element #4096 {elementAtTheBound}: the walk did not end within 4096 elements, the most a well-formed free list can hold: the list is cyclic or corrupted");
        InvariantAssert.Violates(FreeListInvariantIds.Acyclic, allocator.GetFreeBlocks);
        InvariantAssert.Violates(FreeListInvariantIds.Acyclic, () => allocator.FreeBlockCount);
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Live)]
    public void LiveViolationIsReportedForALiveEntryOverlappingAFreeNode()
    {
        FreeListAllocator allocator = Setup(checkedMode: true);
        Dictionary<long, LiveAllocation> table = allocator.LiveTable!;
        Assert.True(table.Remove(Page - 48, out LiveAllocation moved));
        table.Add(Mid, moved);
        AssertViolation(allocator, FreeListInvariantIds.Live,
            "FL-LIVE at range #4 [0xffc0, 0xffd0): [0xffc0, 0xffd0) overlaps its list neighbour #3 [0xffc0, 0xffd0)");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Live)]
    public void LiveViolationIsReportedForOverlappingLiveEntries()
    {
        FreeListAllocator allocator = Setup(checkedMode: true);
        Dictionary<long, LiveAllocation> table = allocator.LiveTable!;
        // [P-96, P-64) swallows the live block at P-80; the entry at P-16 shrinks to keep the byte count.
        table[Page - 96] = table[Page - 96] with { RoundedSize = 32 };
        table[Page - 16] = table[Page - 16] with { RoundedSize = 0 };
        AssertViolation(allocator, FreeListInvariantIds.Live,
            "FL-LIVE at range #1 [0xffb0, 0xffc0): [0xffb0, 0xffc0) overlaps its list neighbour #0 [0xffa0, 0xffc0)");
    }

    [Theory]
    [TriggersInvariant(FreeListInvariantIds.Live)]
    [InlineData(Page - 16, 32, "0xfff0: its 32 bytes")]
    [InlineData(Page, 16, "0x10000: its 16 bytes")]
    [InlineData(-16, 16, "0xfffffffffffffff0: its 16 bytes")]
    public void LiveViolationIsReportedForALiveEntryOutsideTheHeap(long offset, long roundedSize, string entryAndSize)
    {
        FreeListAllocator allocator = Setup(checkedMode: true);
        Dictionary<long, LiveAllocation> table = allocator.LiveTable!;
        Assert.True(table.Remove(Page - 16, out LiveAllocation moved));
        table[offset] = moved with { RoundedSize = roundedSize };
        AssertViolation(allocator, FreeListInvariantIds.Live, $"FL-LIVE at live allocation at {entryAndSize} must lie inside the heap [0x0, 0x10000)");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Live)]
    public void LiveViolationIsReportedForAMisalignedLiveEntry()
    {
        FreeListAllocator allocator = Setup(checkedMode: true);
        Dictionary<long, LiveAllocation> table = allocator.LiveTable!;
        table[Page - 48] = table[Page - 48] with { Alignment = 32 };
        AssertViolation(allocator, FreeListInvariantIds.Live, "FL-LIVE at live allocation at 0xffd0: offset is not a multiple of its effective alignment 32");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Tagged)]
    public void TagViolationIsReportedWhenClientCodeWritesIntoTheLastWordOfAFreeBlock()
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Page - 96 - 8, 0x1111_1111_1111_1111);
        AssertViolation(allocator, FreeListInvariantIds.Tagged,
            $"FL-TAG at free list node at 0x0: its last word (at 0xff98) holds {0x1111_1111_1111_1111}, not the block's tag {FreeListAllocator.Tag(Low, Page - 96)}");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Tagged)]
    public void ASizeGrownIntoTheLiveBlockAboveIsNeverHandedOut()
    {
        // Low [0, P-96) grown to [0, P-80): still in bounds and clear of Mid, but over the live block at P-96.
        // Top and Mid are too small for 32 bytes, so Low is the fit, and its grown top would be handed out.
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Low + Size, Page - 80);
        string before = Snapshot(allocator);

        InvariantViolationException thrown = InvariantAssert.Violates(FreeListInvariantIds.Tagged, () => allocator.TryAllocate(32, 16, out _));

        Assert.Equal(
            "FL-TAG at node 0: its size word 65456 says the block ends at 65456, but its last word there does not hold the block's tag " +
            "(a size rewritten into live memory, or client code wrote into free memory?): the list is corrupted; nothing was changed",
            thrown.Message);
        Assert.Equal(before, Snapshot(allocator));
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Tagged)]
    public void ALiveWordHoldingABlockSizeDoesNotPassForTheTagOfASizeGrownOverIt()
    {
        // The live block at P-96 stores 16 (the commonest length a client keeps) in the word where Low, grown to
        // [0, P-80), would end. A tag that were the size alone, or any constant, would agree with that word; the tag
        // mixes the block's offset and size (note 0015), so the grown size is still caught and nothing is handed out.
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Page - 88, 16);
        allocator.Memory.WriteWord(Low + Size, Page - 80);
        AssertRejectedWithNothingChanged(allocator, FreeListInvariantIds.Tagged, () => allocator.TryAllocate(32, 16, out _));
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Tagged)]
    public void ASizeGrownIntoTheLiveBlockAboveIsNeverMerged()
    {
        // Low [0, P-96) grown to [0, P-80), over the live block at P-96, so that it seems to end where P-80 starts.
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Low + Size, Page - 80);
        string before = Snapshot(allocator);

        InvariantViolationException thrown = InvariantAssert.Violates(FreeListInvariantIds.Tagged, () => allocator.Free(Page - 80, 16, 1));

        Assert.Contains($"node {Low}", thrown.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(allocator));
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Tagged)]
    public void ASizeRestoredAfterACarveFromTheTopIsCaughtByItsTag()
    {
        // [0, P) gives its top 16 bytes: the block shrinks to [0, P-16), and its old tag word (P-8) is now live memory.
        // Rewriting the size to P would hand out the live block again unless that old tag was erased.
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1));
        Assert.True(allocator.TryAllocate(16, 1, out long live));
        Assert.Equal(Page - 16, live);
        allocator.Memory.WriteWord(Low + Size, Page);
        AssertRejectedWithNothingChanged(allocator, FreeListInvariantIds.Tagged, () => allocator.TryAllocate(16, 1, out _));
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Tagged)]
    public void ABlockHandedOutWholeIsNotHandedOutAgainThroughAStaleLink()
    {
        // Free A [P-16, P) over free B [P-64, P-32) over Low, with live blocks between. A 32-byte request takes B whole,
        // and A's link moves on to Low. If that write were lost, A would still link to B, whose first words (next, size)
        // the new owner has not touched yet: only B's erased tag shows that B is no longer free.
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1));
        AllocateAt(allocator, (16, Page - 16), (16, Page - 32), (32, Page - 64), (16, Page - 80));
        allocator.Free(Page - 16, 16, 16);
        allocator.Free(Page - 64, 32, 16);
        Assert.True(allocator.TryAllocate(32, 16, out long whole));
        Assert.Equal(Page - 64, whole);
        Assert.Equal([new AddressRange(Page - 16, 16), new AddressRange(Low, Page - 80)], allocator.GetFreeBlocks());

        allocator.Memory.WriteWord(Page - 16 + Next, Page - 64);
        AssertRejectedWithNothingChanged(allocator, FreeListInvariantIds.Tagged, () => allocator.TryAllocate(32, 16, out _));
    }

    [Theory]
    [TriggersInvariant(FreeListInvariantIds.Tagged)]
    [InlineData(false)]
    [InlineData(true)]
    public void ASizeRestoredAfterAMergeIsCaughtByItsTag(bool mergeBothSides)
    {
        // Blocks A [P-16, P), B [P-32, P-16), C [P-48, P-32) over the free [0, P-48). Freeing C merges it into the block
        // below, [0, P-32); freeing B then merges with that block (and, with A freed first, with A above it too). The
        // old tag of [0, P-32), at P-40, is inside the merged block: rewriting the size to P-32 must not pass its check.
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1));
        for (int i = 1; i <= 3; i++)
        {
            Assert.True(allocator.TryAllocate(16, 1, out long offset));
            Assert.Equal(Page - (16 * i), offset);
        }

        if (mergeBothSides)
        {
            allocator.Free(Page - 16, 16, 1);
        }

        allocator.Free(Page - 48, 16, 1);
        allocator.Free(Page - 32, 16, 1);
        Assert.Equal([new AddressRange(Low, mergeBothSides ? Page : Page - 16)], allocator.GetFreeBlocks());
        allocator.Memory.WriteWord(Low + Size, Page - 32);
        AssertRejectedWithNothingChanged(allocator, FreeListInvariantIds.Tagged, () => allocator.TryAllocate(16, 1, out _));
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Live)]
    public void CheckedModeNeverHandsOutALiveByteEvenWhenTheTagAgrees()
    {
        // Low grown over the live block at P-96, with the matching tag written at its new end (inside that live block):
        // the tag check passes, and only the live table can tell that the carve would hand out live bytes.
        FreeListAllocator allocator = Setup(checkedMode: true);
        allocator.Memory.WriteWord(Low + Size, Page - 80);
        allocator.Memory.WriteWord(Page - 88, FreeListAllocator.Tag(Low, Page - 80));
        AssertRejectedWithNothingChanged(allocator, FreeListInvariantIds.Live, () => allocator.TryAllocate(32, 16, out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FreeingALiveBlockUnderAFreeNodeGrownOverItChangesNothing(bool checkedMode)
    {
        // Low grown over the live block at P-96 (the tag written there too). Checked mode knows the block is live, so
        // the free node is the corrupted party (FL-LIVE); unchecked mode cannot tell, and reports the call's range.
        FreeListAllocator allocator = Setup(checkedMode);
        allocator.Memory.WriteWord(Low + Size, Page - 80);
        allocator.Memory.WriteWord(Page - 88, FreeListAllocator.Tag(Low, Page - 80));
        string before = Snapshot(allocator);

        Exception thrown = Assert.ThrowsAny<Exception>(() => allocator.Free(Page - 96, 16, 1));

        if (checkedMode)
        {
            var violation = Assert.IsType<InvariantViolationException>(thrown);
            Assert.Equal(
                "FL-LIVE at node 0: the free node [0, 65456) overlaps [65440, 65456), which the live table records as allocated: " +
                "the list is corrupted (client code wrote into free memory?); nothing was changed",
                violation.Message);
        }
        else
        {
            var argument = Assert.IsType<ArgumentException>(thrown);
            Assert.Equal("offset", argument.ParamName);
            Assert.StartsWith(
                "The freed range [65440, 65456) overlaps the free block [0, 65456): a range must be live to be freed (double free, or a wrong offset or size).",
                argument.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, Snapshot(allocator));
    }

    /// <summary>
    /// A double free names the free block the freed offset lands on, the block the client freed twice: Top freed again,
    /// and Mid freed again with a wrong size, 48, whose range [P-64, P-16) also covers Top.
    /// </summary>
    [Theory]
    [InlineData(Top, 16, "[65504, 65520) overlaps the free block [65504, 65520)")]
    [InlineData(Mid, 48, "[65472, 65520) overlaps the free block [65472, 65488)")]
    public void ADoubleFreeNamesTheFreeBlockItLandsOn(long offset, long size, string rangeAndBlock)
    {
        FreeListAllocator allocator = Setup();
        string before = Snapshot(allocator);

        ArgumentException thrown = Assert.Throws<ArgumentException>("offset", () => allocator.Free(offset, size, 1));

        Assert.StartsWith(
            $"The freed range {rangeAndBlock}: a range must be live to be freed (double free, or a wrong offset or size).",
            thrown.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(allocator));
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.NonAdjacent)]
    public void TheNodeAtOneNodeHeightMayNotLinkToNodeZero()
    {
        // A node at 16 has no room below it for a node and a gap, so its only valid link is the end of the list. (The
        // opt-in exact fit at offset 0 lets the block at 0 be handed out, so that only [16, 32) is free.)
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1), new FreeListOptions { ExactFitAtHeapBase = true });
        AllocateAt(allocator, (Page - 32, 32), (16, 16), (16, 0));
        allocator.Free(16, 16, 16);
        allocator.Memory.WriteWord(16 + Next, 0);
        string before = Snapshot(allocator);

        InvariantViolationException thrown = InvariantAssert.Violates(FreeListInvariantIds.NonAdjacent, () => allocator.TryAllocate(16, 16, out _));

        Assert.Equal(
            "FL-NONADJ at node 16: its next link 0 leaves no room for a node and a gap below this one: the list is corrupted (client code wrote into free memory?); nothing was changed",
            thrown.Message);
        Assert.Equal(before, Snapshot(allocator));
    }

    [Fact]
    public void TheNodeAtTwoNodesHeightMayLinkToNodeZeroAndLeaveTheListWhole()
    {
        // Free [32, 48) over free [0, 16) with live [16, 32) between: the lowest valid link of all, taken by a whole-block carve.
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1));
        AllocateAt(allocator, (Page - 48, 48), (16, 32), (16, 16));
        allocator.Free(32, 16, 16);
        Assert.Equal([new AddressRange(32, 16), new AddressRange(0, 16)], allocator.GetFreeBlocks());

        Assert.True(allocator.TryAllocate(16, 16, out long reused));

        Assert.Equal(32, reused);
        Assert.Equal([new AddressRange(0, 16)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Bounds)]
    public void ASizeBothPastTheHeapEndAndMisalignedIsReportedAsOutOfBoundsFirst()
    {
        // CheckInvariants reports the first broken invariant in its documented order: a node's FL-BOUNDS before its
        // FL-ALIGNED. Top's size 40 is both misaligned and reaches 8 bytes past the heap end.
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Top + Size, 40);
        AssertViolation(allocator, FreeListInvariantIds.Bounds,
            "FL-BOUNDS at range #0 [0xffe0, 0x10008): range must lie inside [0x0, 0x10000) but starts at 0xffe0 with size 40");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Aligned)]
    public void ASizeBothMisalignedAndBelowNodeIsReportedAsMisalignedFirst()
    {
        // CheckInvariants reports the first broken invariant in its documented order: FL-ALIGNED before FL-MINSIZE.
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Mid + Size, 8);
        AssertViolation(allocator, FreeListInvariantIds.Aligned, "FL-ALIGNED at range #1 [0xffc0, 0xffc8): size 8 is not a multiple of 16");
    }

    [Fact]
    [TriggersInvariant(FreeListInvariantIds.Sorted)]
    public void AListBothOutOfOrderAndOverlappingIsReportedAsUnsortedFirst()
    {
        // Top, Low, Mid, with Low grown over Mid: FL-SORTED comes before FL-NONADJ in the documented order.
        FreeListAllocator allocator = Setup();
        LinkTopLowMid(allocator);
        allocator.Memory.WriteWord(Low + Size, Page - 48);
        AssertViolation(allocator, FreeListInvariantIds.Sorted,
            "FL-SORTED at range #2 [0xffc0, 0xffd0): starts must be strictly descending, but range #1 [0x0, 0xffd0) is followed by [0xffc0, 0xffd0)");
    }

    [Fact]
    public void EveryFreeBlockLargerThanANodeCarriesItsTagThroughAllocationAndFree()
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 4));
        var random = new Random(15);
        var live = new List<(long Offset, long Size)>();
        for (int step = 0; step < 3_000; step++)
        {
            if (live.Count == 0 || random.Next(2) == 0)
            {
                long size = random.Next(1, 2_000);
                if (allocator.TryAllocate(size, 1L << random.Next(0, 8), out long offset))
                {
                    live.Add((offset, size));
                    continue;
                }
            }

            int index = random.Next(live.Count);
            (long freedOffset, long freedSize) = live[index];
            live.RemoveAt(index);
            allocator.Free(freedOffset, freedSize, 1);
        }

        // CheckInvariants verifies FL-TAG; the direct check says what a tag is.
        allocator.CheckInvariants();
        foreach (AddressRange block in allocator.GetFreeBlocks().Where(block => block.Size > FreeListAllocator.NodeBytes))
        {
            Assert.Equal(FreeListAllocator.Tag(block.Start, block.Size), allocator.Memory.ReadWord(block.End - 8));
        }
    }

    /// <summary>Allocates each size at alignment 16 and checks that it lands at its expected offset.</summary>
    private static void AllocateAt(FreeListAllocator allocator, params (long Size, long Offset)[] expected)
    {
        foreach ((long size, long offset) in expected)
        {
            Assert.True(allocator.TryAllocate(size, 16, out long allocated));
            Assert.Equal(offset, allocated);
        }
    }

    /// <summary>The operation reports the id, and the list, the counters and every heap byte are as they were.</summary>
    private static void AssertRejectedWithNothingChanged(FreeListAllocator allocator, string expectedId, Action operation)
    {
        string before = Snapshot(allocator);
        InvariantAssert.Violates(expectedId, operation);
        Assert.Equal(before, Snapshot(allocator));
    }

    private static string Snapshot(FreeListAllocator allocator) =>
        $"{string.Join(",", allocator.GetFreeBlocks())} free {allocator.FreeBytes} bytes {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(allocator.Memory.GetSpan(0, (int)allocator.HeapBytes)))}";

    [Fact]
    public void RandomCorruptionIsReportedOrHarmlessButNeverThrowsAnythingElse()
    {
        var random = new Random(20261123);
        long[] interesting = [0, 8, 16, -1, -16, Page, Page - 16, Page - 96, Page - 64, Page - 32, long.MaxValue, long.MinValue, 1L << 40];
        for (int trial = 0; trial < 2000; trial++)
        {
            FreeListAllocator allocator = Setup();
            int writes = random.Next(1, 4);
            for (int w = 0; w < writes; w++)
            {
                long node = new[] { Top, Mid, Low }[random.Next(3)];
                long word = random.Next(2) == 0 ? Next : Size;
                long value = random.Next(2) == 0 ? interesting[random.Next(interesting.Length)] : random.NextInt64(-Page, 2 * Page) & ~7L;
                allocator.Memory.WriteWord(node + word, value);
            }

            try
            {
                allocator.CheckInvariants();
            }
            catch (InvariantViolationException violation)
            {
                Assert.StartsWith("FL-", violation.InvariantId, StringComparison.Ordinal);
            }
        }
    }

    // The hot paths trust the list but not blindly: a link that does not go down (a cycle must have one) is
    // reported as FL-SORTED before anything changes, instead of walking the cycle forever.

    [Fact]
    public void TryAllocateOnACyclicListReportsItInsteadOfLooping()
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Mid + Next, Top);
        long freeBefore = allocator.FreeBytes;

        // 64 bytes fit neither Top nor Mid (16 each), so the walk would go round Top -> Mid -> Top forever.
        InvariantViolationException thrown = RunBounded(() => allocator.TryAllocate(64, 1, out _));

        Assert.Equal(FreeListInvariantIds.Sorted, thrown.InvariantId);
        Assert.Contains($"node {Mid}", thrown.Message, StringComparison.Ordinal);
        Assert.Equal(freeBefore, allocator.FreeBytes);
        Assert.Equal(Top, allocator.Memory.ReadWord(Mid + Next));
    }

    [Fact]
    public void FreeOnACyclicListReportsItInsteadOfLooping()
    {
        FreeListAllocator allocator = Setup();
        allocator.Memory.WriteWord(Mid + Next, Top);
        long freeBefore = allocator.FreeBytes;

        // Freeing the live block at P-96 walks down past Top and Mid, whose link now leads back up.
        InvariantViolationException thrown = RunBounded(() => allocator.Free(Page - 96, 16, 1));

        Assert.Equal(FreeListInvariantIds.Sorted, thrown.InvariantId);
        Assert.Equal(freeBefore, allocator.FreeBytes);
    }

    private static InvariantViolationException RunBounded(Action operation)
    {
        // A regression here would hang, so the operation runs on its own task with a generous deadline.
        Task<Exception?> run = Task.Run(() =>
        {
            try
            {
                operation();
                return null;
            }
            catch (Exception thrown)
            {
                return thrown;
            }
        });
        Assert.True(run.Wait(TimeSpan.FromSeconds(30)), "the operation walked the corrupted list without end");
        return Assert.IsType<InvariantViolationException>(run.Result);
    }
}
