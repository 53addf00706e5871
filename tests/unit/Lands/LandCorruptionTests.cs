using Veralloc.Allocators;
using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;

namespace Veralloc.Tests.Unit.Lands;

/// <summary>
/// One deliberate corruption per LAND-* id, each asserting CheckInvariants reports exactly that id. The
/// free-list land is corrupted the way a stray client write would do it, through its memory; the tree land,
/// whose metadata a client cannot reach, through internal hooks that mimic a bug. LAND-TAG and LAND-HINT
/// exist only in the free-list land, LAND-INDEX and LAND-HEAP only in the tree land, and LAND-NONEMPTY cannot
/// be reached in the free-list land (LAND-TAG catches a short node first).
/// </summary>
public sealed class LandCorruptionTests
{
    // CreatePopulated: [0x10, 0x30) two-word node, [0x40, 0x48) one-grain tagged node, [0x80, 0xc0) two-word node.
    private const long First = 0x10;
    private const long Single = 0x40;
    private const long Last = 0x80;

    [Fact]
    public void TheFreeListLayoutIsTheDocumentedOne()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        Assert.Equal(First, land.Head);
        Assert.Equal(Single, memory.ReadWord(First));
        Assert.Equal(0x30, memory.ReadWord(First + 8));
        Assert.Equal(Last | FreeListLand.SingleGrainTag, memory.ReadWord(Single));
        Assert.Equal(FreeListLand.EndOfList, memory.ReadWord(Last));
        Assert.Equal(0xc0, memory.ReadWord(Last + 8));
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Sorted)]
    public void SortedViolationIsReported()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        // Relink as First -> Last -> Single -> end: same ranges, same count, wrong order.
        memory.WriteWord(First, Last);
        memory.WriteWord(Last, Single);
        memory.WriteWord(Single, FreeListLand.EndOfList | FreeListLand.SingleGrainTag);
        AssertViolation(LandInvariantIds.Sorted, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Isolated)]
    public void IsolatedViolationIsReportedForTouchingRangesInTheFreeList()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        memory.WriteWord(First + 8, Single); // [0x10, 0x40) now touches [0x40, 0x48)
        AssertViolation(LandInvariantIds.Isolated, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Isolated)]
    public void IsolatedViolationIsReportedForOverlappingRangesInTheTree()
    {
        TreeLand land = PopulatedTree();
        land.InjectRangeForTest(new AddressRange(0x20, 0x18));
        AssertViolation(LandInvariantIds.Isolated, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Aligned)]
    public void AlignedViolationIsReportedForAMisalignedLimit()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        memory.WriteWord(Last + 8, 0xbc);
        AssertViolation(LandInvariantIds.Aligned, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Aligned)]
    public void AlignedViolationIsReportedForAMisalignedLink()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        memory.WriteWord(First, 0x44);
        AssertViolation(LandInvariantIds.Aligned, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Aligned)]
    public void AlignedViolationIsReportedInTheTree()
    {
        TreeLand land = PopulatedTree();
        land.InjectRangeForTest(new AddressRange(0x204, 0x10));
        AssertViolation(LandInvariantIds.Aligned, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.NonEmpty)]
    public void NonEmptyViolationIsReported()
    {
        TreeLand land = PopulatedTree();
        land.InjectRangeForTest(new AddressRange(0x200, 0));
        AssertViolation(LandInvariantIds.NonEmpty, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Bounds)]
    public void BoundsViolationIsReportedForALimitPastTheMemory()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        memory.WriteWord(Last + 8, LinearMemory.PageBytes + 0x40);
        AssertViolation(LandInvariantIds.Bounds, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Bounds)]
    public void BoundsViolationIsReportedForALinkOutsideTheMemory()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        memory.WriteWord(Last, 4 * LinearMemory.PageBytes);
        AssertViolation(LandInvariantIds.Bounds, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Bounds)]
    public void BoundsViolationIsReportedInTheTree()
    {
        TreeLand land = PopulatedTree();
        land.InjectRangeForTest(new AddressRange(LandFixture.BoundBytes, 0x10));
        AssertViolation(LandInvariantIds.Bounds, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.EndTag)]
    public void EndTagViolationIsReportedForAnOverwrittenLastWord()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        Assert.Equal(RangeEndTag.Of(Last, 0xc0), memory.ReadWord(0xb8));
        memory.WriteWord(0xb8, 0x1234_5678);
        AssertViolation(LandInvariantIds.EndTag, land);
    }

    /// <summary>
    /// The plausible corruption per-node bounds cannot see: the last range's limit grown into the gap above it. The
    /// list keeps a valid shape (only the total is off), but the word below the claimed limit is not that claim's tag,
    /// so every operation that would trust the limit reports it first and changes nothing.
    /// </summary>
    [Fact]
    [TriggersInvariant(LandInvariantIds.EndTag)]
    public void ALimitGrownIntoTheGapAboveIsReportedBeforeItIsTrusted()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        memory.WriteWord(Last + 8, 0x100);
        byte[] before = memory.GetSpan(0, 0x200).ToArray();

        InvariantAssert.Violates(LandInvariantIds.EndTag, () => land.TryFindFirst(0x40, FindDelete.Entire, out _));
        InvariantAssert.Violates(LandInvariantIds.EndTag, () => land.TryFindLast(8, FindDelete.High, out _));
        InvariantAssert.Violates(LandInvariantIds.EndTag, () => land.TryFindLargest(8, FindDelete.None, out _));
        InvariantAssert.Violates(LandInvariantIds.EndTag, () => land.ToRangeList());
        InvariantAssert.Violates(LandInvariantIds.EndTag, () => land.Delete(new AddressRange(0xc0, 0x20)));
        InvariantAssert.Violates(LandInvariantIds.EndTag, () => land.Insert(new AddressRange(0x100, 0x10)));
        Assert.Equal((First, 3, 0x68L), (land.Head, land.RangeCount, land.TotalSize));
        Assert.True(memory.GetSpan(0, 0x200).SequenceEqual(before));
    }

    /// <summary>
    /// A range's old tag does not outlive it: after the top of [0x80, 0xc0) is deleted, the word at 0xb8 no longer
    /// holds the tag of [0x80, 0xc0), so a corruption that restores the old limit is refused rather than confirmed.
    /// </summary>
    [Fact]
    [TriggersInvariant(LandInvariantIds.EndTag)]
    public void ALimitRestoredToItsValueBeforeADeleteIsRefused()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        land.Delete(new AddressRange(0xa0, 0x20));
        land.CheckInvariants();
        memory.WriteWord(Last + 8, 0xc0);

        InvariantAssert.Violates(LandInvariantIds.EndTag, () => land.TryFindLast(0x40, FindDelete.None, out _));
    }

    /// <summary>
    /// A deleted one-grain range leaves no node behind: its only word is cleared, so a link rewritten to point back at
    /// it (now the caller's memory) reaches a word that reads as no valid node, instead of a one-grain range to report.
    /// </summary>
    [Fact]
    [TriggersInvariant(LandInvariantIds.Tag)]
    public void ALinkToADeletedOneGrainRangeFindsNoNodeThere()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        land.Delete(new AddressRange(Single, 8));
        land.CheckInvariants();
        memory.WriteWord(First, Single);

        InvariantAssert.Violates(LandInvariantIds.Tag, () => land.ToRangeList());
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Tag)]
    public void TagViolationIsReported()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        // Clear the one-grain node's tag: its "limit word" is then the zero word that follows it.
        memory.WriteWord(Single, Last);
        AssertViolation(LandInvariantIds.Tag, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Count)]
    public void CountViolationIsReportedForACyclicList()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        memory.WriteWord(Last, First);
        AssertViolation(LandInvariantIds.Count, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Count)]
    public void CountViolationIsReportedForAListShorterThanRecorded()
    {
        (FreeListLand land, _) = PopulatedFreeList();
        land.CorruptCountForTest(land.RangeCount + 1);
        AssertViolation(LandInvariantIds.Count, land);
    }

    [Fact]
    public void OperationsOnACyclicListStopAtTheRecordedCountInsteadOfLooping()
    {
        (FreeListLand land, SlabLinearMemory memory) = PopulatedFreeList();
        memory.WriteWord(Last, First);
        var visitor = new CountingVisitor();
        Assert.Equal(LandInvariantIds.Count, Assert.Throws<InvariantViolationException>(() => land.Iterate(ref visitor)).InvariantId);
        Assert.Equal(land.RangeCount, visitor.Count);
        Assert.Equal(LandInvariantIds.Count, Assert.Throws<InvariantViolationException>(() => land.TryFindLast(8, FindDelete.None, out _)).InvariantId);
        Assert.Equal(LandInvariantIds.Count, Assert.Throws<InvariantViolationException>(() => land.TryFindLargest(8, FindDelete.None, out _)).InvariantId);
        Assert.Equal(LandInvariantIds.Count, Assert.Throws<InvariantViolationException>(() => land.Insert(new AddressRange(0x1000, 8))).InvariantId);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Total)]
    public void TotalViolationIsReportedInTheFreeList()
    {
        (FreeListLand land, _) = PopulatedFreeList();
        land.CorruptTotalForTest(8);
        AssertViolation(LandInvariantIds.Total, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Total)]
    public void TotalViolationIsReportedInTheTree()
    {
        TreeLand land = PopulatedTree();
        land.CorruptTotalForTest(-8);
        AssertViolation(LandInvariantIds.Total, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Hint)]
    public void HintViolationIsReported()
    {
        (FreeListLand land, _) = PopulatedFreeList();
        land.CorruptHintForTest(0x20);
        AssertViolation(LandInvariantIds.Hint, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Index)]
    public void IndexViolationIsReported()
    {
        TreeLand land = PopulatedTree();
        land.CorruptMaxSizeForTest(Single, 0x100);
        AssertViolation(LandInvariantIds.Index, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Heap)]
    public void HeapViolationIsReported()
    {
        TreeLand land = PopulatedTree();
        land.CorruptHeapOrderForTest();
        AssertViolation(LandInvariantIds.Heap, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Sorted)]
    public void SortedViolationIsReportedInTheTree()
    {
        TreeLand land = PopulatedTree();
        land.CorruptStartForTest(Single, 0xd0); // in order it still sits between [0x10, 0x30) and [0x80, 0xc0)
        AssertViolation(LandInvariantIds.Sorted, land);
    }

    [Fact]
    [TriggersInvariant(LandInvariantIds.Count)]
    public void CountViolationIsReportedInTheTree()
    {
        TreeLand longer = PopulatedTree();
        longer.CorruptCountForTest(longer.RangeCount - 1);
        AssertViolation(LandInvariantIds.Count, longer);

        TreeLand shorter = PopulatedTree();
        shorter.CorruptCountForTest(shorter.RangeCount + 1);
        AssertViolation(LandInvariantIds.Count, shorter);
        var visitor = new CountingVisitor();
        InvariantAssert.Violates(LandInvariantIds.Count, () => shorter.Iterate(ref visitor));
    }

    [Fact]
    public void AHealthyLandReportsNothing()
    {
        PopulatedFreeList().Land.CheckInvariants();
        PopulatedTree().CheckInvariants();
    }

    private static (FreeListLand Land, SlabLinearMemory Memory) PopulatedFreeList()
    {
        LandFixture fixture = LandFixture.CreatePopulated(nameof(FreeListLand));
        return ((FreeListLand)fixture.Land, fixture.Memory!);
    }

    private static TreeLand PopulatedTree() => (TreeLand)LandFixture.CreatePopulated(nameof(TreeLand)).Land;

    private static void AssertViolation(string expectedId, ILand land) => InvariantAssert.Violates(expectedId, land.CheckInvariants);

    private struct CountingVisitor : ILandVisitor
    {
        public int Count { get; private set; }

        public bool Visit(AddressRange range)
        {
            Count++;
            return true;
        }
    }
}
