using Veralloc.Allocators;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;

namespace Veralloc.Tests.Unit.Textbook;

public sealed class LinkedListAllocatorTests
{
    private const long Page = LinearMemory.PageBytes;

    [Fact]
    public void FreshAllocatorManagesTheCurrentPagesAsOneRegion()
    {
        var allocator = new LinkedListAllocator(new SlabLinearMemory(maxPages: 4, initialPages: 2));

        Assert.Equal(2 * Page, allocator.ManagedBytes);
        Assert.Equal([new AddressRange(0, 2 * Page)], Regions(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void EmptyMemoryManagesNothing()
    {
        var allocator = new LinkedListAllocator(new SlabLinearMemory(maxPages: 1));

        Assert.False(allocator.TryAllocate(1, 1, out _));
        Assert.Empty(Regions(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void RequestsUseAtLeastANodeAndAWordMultiple()
    {
        LinkedListAllocator allocator = OnePage();

        Assert.True(allocator.TryAllocate(1, 1, out long a));
        Assert.True(allocator.TryAllocate(17, 1, out long b));

        Assert.Equal(0, a);
        Assert.Equal(16, b);
        Assert.Equal([new AddressRange(40, Page - 40)], Regions(allocator));
        Assert.Equal(40, allocator.LiveBytes);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreedRegionsArePushedAtTheHeadAndNeverMerged()
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(16, 1, out long a));
        Assert.True(allocator.TryAllocate(16, 1, out long b));

        allocator.Free(a, 16, 1);
        allocator.Free(b, 16, 1);

        Assert.Equal([new AddressRange(16, 16), new AddressRange(0, 16), new AddressRange(32, Page - 32)], Regions(allocator));
        // No merging: 32 bytes are free at [0, 32) but in two regions, so the request goes past them.
        Assert.True(allocator.TryAllocate(32, 1, out long c));
        Assert.Equal(32, c);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FirstFitTakesTheFirstRegionFromTheHeadThatFits()
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(64, 1, out long big));
        Assert.True(allocator.TryAllocate(16, 1, out _));
        Assert.True(allocator.TryAllocate(16, 1, out long small));
        allocator.Free(big, 64, 1);
        allocator.Free(small, 16, 1);

        Assert.True(allocator.TryAllocate(16, 1, out long first));
        Assert.True(allocator.TryAllocate(48, 1, out long second));

        Assert.Equal(small, first);
        Assert.Equal(big, second);
        Assert.Equal([new AddressRange(48, 16), new AddressRange(96, Page - 96)], Regions(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void RegionWhoseBackLeftoverCannotHoldANodeIsSkipped()
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(40, 1, out long x));
        Assert.True(allocator.TryAllocate(16, 1, out _));
        allocator.Free(x, 40, 1);

        // [0, 40) would leave 8 bytes after a 32-byte request: too small for a node, so the next region is used.
        Assert.True(allocator.TryAllocate(32, 1, out long skipped));
        Assert.Equal(56, skipped);
        Assert.Equal([new AddressRange(88, Page - 88), new AddressRange(0, 40)], Regions(allocator));
        Assert.True(allocator.TryAllocate(Page - 88, 1, out long rest));
        Assert.Equal(88, rest);
        Assert.True(allocator.TryAllocate(40, 1, out long exact));
        Assert.Equal(0, exact);
        allocator.CheckInvariants();
    }

    [Fact]
    public void RegionWhoseFrontLeftoverCannotHoldANodeIsSkipped()
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(24, 1, out _));

        // The only region starts at 24: aligning to 16 leaves an 8-byte front leftover, so nothing fits.
        Assert.False(allocator.TryAllocate(16, 16, out _));
        Assert.True(allocator.TryAllocate(16, 8, out long wordAligned));
        Assert.Equal(24, wordAligned);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FrontLeftoverOfANodeOrMoreBecomesTheHeadAndTheBackLeftoverFollows()
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(8, 1, out _));

        Assert.True(allocator.TryAllocate(16, 64, out long aligned));

        Assert.Equal(64, aligned);
        Assert.Equal([new AddressRange(16, 48), new AddressRange(80, Page - 80)], Regions(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void FailedAllocationChangesNothing()
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(Page - 64, 1, out _));
        List<AddressRange> before = Regions(allocator);

        Assert.False(allocator.TryAllocate(65, 1, out _));
        Assert.False(allocator.TryAllocate(long.MaxValue, 1, out _));

        Assert.Equal(before, Regions(allocator));
        allocator.CheckInvariants();
    }

    [Theory]
    [InlineData(0, 1, "size")]
    [InlineData(-3, 1, "size")]
    [InlineData(8, 7, "alignment")]
    [InlineData(8, 1L << 21, "alignment")]
    public void BadRequestsThrowAndChangeNothing(long size, long alignment, string parameter)
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(8, 1, out _));
        List<AddressRange> before = Regions(allocator);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => allocator.TryAllocate(size, alignment, out _));

        Assert.Equal(parameter, error.ParamName);
        Assert.Equal(before, Regions(allocator));
        allocator.CheckInvariants();
    }

    [Theory]
    [InlineData(-16, 16, 1)]
    [InlineData(Page - 8, 16, 1)]
    [InlineData(8, Page, 1)]
    [InlineData(24, 16, 16)]
    [InlineData(4, 16, 1)]
    public void FreeOfARangeOutsideTheMemoryOrMisalignedThrowsAndChangesNothing(long offset, long size, long alignment)
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(64, 1, out _));
        List<AddressRange> before = Regions(allocator);

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(offset, size, alignment));

        Assert.Contains(offset.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Regions(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void CheckedFreesRejectADoubleFree()
    {
        var allocator = new LinkedListAllocator(new SlabLinearMemory(maxPages: 1, initialPages: 1), checkFrees: true);
        Assert.True(allocator.TryAllocate(32, 1, out long a));
        allocator.Free(a, 32, 1);
        List<AddressRange> before = Regions(allocator);

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(a, 32, 1));

        Assert.Contains("overlaps the free region [0, 32)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Regions(allocator));
        allocator.CheckInvariants();
    }

    /// <summary>Corrupts the structure so that exactly LL-ACYCLIC is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListAcyclic)]
    public void AcyclicViolationIsReported()
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var allocator = new LinkedListAllocator(memory);
        Assert.True(allocator.TryAllocate(32, 1, out long a));
        allocator.Free(a, 32, 1);
        memory.WriteWord(a + 8, a);

        AssertViolation(allocator, TextbookInvariantIds.LinkedListAcyclic);
    }

    /// <summary>Corrupts the structure so that exactly LL-BOUNDS is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListBounds)]
    public void BoundsViolationIsReportedForARegionPastTheEnd()
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var allocator = new LinkedListAllocator(memory);
        memory.WriteWord(0, 2 * Page);

        AssertViolation(allocator, TextbookInvariantIds.LinkedListBounds);
    }

    /// <summary>Corrupts the structure so that exactly LL-BOUNDS is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListBounds)]
    public void BoundsViolationIsReportedForALinkOutsideTheMemory()
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var allocator = new LinkedListAllocator(memory);
        memory.WriteWord(8, 5 * Page);

        AssertViolation(allocator, TextbookInvariantIds.LinkedListBounds);
    }

    /// <summary>Corrupts the structure so that exactly LL-ALIGNED is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListAligned)]
    public void AlignedViolationIsReported()
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var allocator = new LinkedListAllocator(memory);
        memory.WriteWord(0, Page - 4);

        AssertViolation(allocator, TextbookInvariantIds.LinkedListAligned);
    }

    /// <summary>Corrupts the structure so that exactly LL-MINSIZE is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListMinSize)]
    public void MinSizeViolationIsReported()
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var allocator = new LinkedListAllocator(memory);
        memory.WriteWord(0, 8);

        AssertViolation(allocator, TextbookInvariantIds.LinkedListMinSize);
    }

    /// <summary>Corrupts the structure so that exactly LL-DISJOINT is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListDisjoint)]
    public void DisjointViolationIsReportedAfterFreeingPartOfAFreeRegion()
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(32, 1, out long a));
        allocator.Free(a, 32, 1);
        allocator.Free(a + 16, 16, 1);

        AssertViolation(allocator, TextbookInvariantIds.LinkedListDisjoint);
    }

    /// <summary>Corrupts the structure so that exactly LL-CONSERVE is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListConserve)]
    public void ConserveViolationIsReported()
    {
        LinkedListAllocator allocator = OnePage();
        Assert.True(allocator.TryAllocate(32, 1, out _));
        allocator.SetFreeBytesForTest(allocator.FreeBytes - 8);

        AssertViolation(allocator, TextbookInvariantIds.LinkedListConserve);
    }

    /// <summary>Overwrites the last word of a free region larger than a node, so that exactly LL-ENDTAG is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListEndTag)]
    public void EndTagViolationIsReportedForAnOverwrittenLastWord()
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var allocator = new LinkedListAllocator(memory);
        Assert.Equal(RangeEndTag.Of(0, Page), memory.ReadWord(Page - 8));
        memory.WriteWord(Page - 8, 0x1234_5678);

        AssertViolation(allocator, TextbookInvariantIds.LinkedListEndTag);
    }

    /// <summary>
    /// The plausible corruption per-node bounds cannot see: a free region's size grown over the live block above it.
    /// The word below the claimed end lies in the live block, not the claim's tag, so the fit is refused before
    /// anything is handed out, in both free modes, and a checked free reports the corruption instead of a double free.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [TriggersInvariant(TextbookInvariantIds.LinkedListEndTag)]
    public void ASizeGrownOverALiveBlockIsReportedBeforeAnythingIsHandedOut(bool checkFrees)
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var allocator = new LinkedListAllocator(memory, checkFrees);
        Assert.True(allocator.TryAllocate(32, 8, out long a));
        Assert.True(allocator.TryAllocate(32, 8, out long b));
        Assert.Equal((0L, 32L), (a, b));
        memory.GetSpan(b, 32).Fill(0xAB);
        allocator.Free(a, 32, 8);
        memory.WriteWord(a, 64);
        byte[] before = memory.GetSpan(0, 128).ToArray();

        InvariantAssert.Violates(TextbookInvariantIds.LinkedListEndTag, () => allocator.TryAllocate(64, 8, out _));
        InvariantAssert.Violates(TextbookInvariantIds.LinkedListEndTag, () => Regions(allocator));
        if (checkFrees)
        {
            InvariantAssert.Violates(TextbookInvariantIds.LinkedListEndTag, () => allocator.Free(b, 32, 8));
        }

        Assert.Equal((a, 32L, Page - 32), (allocator.HeadOffset, allocator.LiveBytes, allocator.FreeBytes));
        Assert.True(memory.GetSpan(0, 128).SequenceEqual(before));
    }

    /// <summary>
    /// A region's old tag does not outlive it: when the top of [16, 64) is handed out as [32, 64), its tag at 56 is
    /// cleared, so a corruption that restores the region's old size is refused rather than confirmed by the stale tag.
    /// </summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListEndTag)]
    public void ASizeRestoredToItsValueBeforeAnAllocationIsRefused()
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var allocator = new LinkedListAllocator(memory);
        Assert.True(allocator.TryAllocate(16, 8, out long x));
        Assert.True(allocator.TryAllocate(48, 8, out long a));
        Assert.Equal((0L, 16L), (x, a));
        allocator.Free(a, 48, 8);
        Assert.True(allocator.TryAllocate(32, 32, out long top));
        Assert.Equal(32, top);
        Assert.Equal(new AddressRange(16, 16), Regions(allocator)[0]);
        memory.WriteWord(16, 48);

        InvariantAssert.Violates(TextbookInvariantIds.LinkedListEndTag, () => allocator.TryAllocate(48, 8, out _));
    }

    /// <summary>
    /// A one-node region handed out whole leaves no node behind: its link word is cleared, so a link rewritten to point
    /// back at it (now a live block) is refused before the block is handed out a second time.
    /// </summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.LinkedListAligned)]
    public void ALinkToAOneNodeRegionHandedOutWholeIsRefused()
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var allocator = new LinkedListAllocator(memory);
        Assert.True(allocator.TryAllocate(16, 8, out long small));
        Assert.True(allocator.TryAllocate(Page - 32, 8, out _));
        allocator.Free(small, 16, 8);
        Assert.Equal([new AddressRange(0, 16), new AddressRange(Page - 16, 16)], Regions(allocator));
        Assert.True(allocator.TryAllocate(16, 8, out long again));
        Assert.Equal(small, again);
        memory.WriteWord(Page - 8, small);

        // [P-16, P) cannot hold a 64-aligned block, so the walk follows the rewritten link to the live block at 0.
        InvariantAssert.Violates(TextbookInvariantIds.LinkedListAligned, () => allocator.TryAllocate(16, 64, out _));
        Assert.Equal((Page - 16, 16L), (allocator.HeadOffset, allocator.FreeBytes));
    }

    internal static List<AddressRange> Regions(LinkedListAllocator allocator)
    {
        var regions = new List<AddressRange>();
        allocator.CopyFreeRegions(regions);
        return regions;
    }

    private static LinkedListAllocator OnePage() => new(new SlabLinearMemory(maxPages: 1, initialPages: 1));

    private static void AssertViolation(LinkedListAllocator allocator, string expectedId) =>
        InvariantAssert.Violates(expectedId, allocator.CheckInvariants);
}
