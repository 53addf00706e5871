using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;

namespace Veralloc.Tests.Unit.Textbook;

public sealed class BumpAllocatorTests
{
    [Fact]
    public void AllocationsAlignTheCursorUpAndAdvanceIt()
    {
        var bump = new BumpAllocator(100, 1000);

        Assert.True(bump.TryAllocate(10, 1, out long a));
        Assert.True(bump.TryAllocate(8, 16, out long b));
        Assert.True(bump.TryAllocate(1, 64, out long c));

        Assert.Equal(100, a);
        Assert.Equal(112, b);
        Assert.Equal(128, c);
        Assert.Equal(129, bump.Next);
        Assert.Equal(3, bump.LiveCount);
        bump.CheckInvariants();
    }

    [Fact]
    public void CursorResetsToTheStartOnlyWhenTheLastLiveAllocationIsFreed()
    {
        var bump = new BumpAllocator(0, 1000);
        Assert.True(bump.TryAllocate(10, 1, out long a));
        Assert.True(bump.TryAllocate(20, 1, out long b));

        bump.Free(a, 10, 1);
        Assert.Equal(30, bump.Next);
        Assert.True(bump.TryAllocate(5, 1, out long c));
        Assert.Equal(30, c);
        bump.Free(b, 20, 1);
        Assert.Equal(35, bump.Next);
        bump.Free(c, 5, 1);

        Assert.Equal(0, bump.Next);
        Assert.Equal(0, bump.LiveCount);
        Assert.True(bump.TryAllocate(1, 1, out long reused));
        Assert.Equal(0, reused);
        bump.CheckInvariants();
    }

    [Fact]
    public void AllocationPastTheEndFailsAndChangesNothing()
    {
        var bump = new BumpAllocator(0, 64);
        Assert.True(bump.TryAllocate(60, 1, out _));

        Assert.False(bump.TryAllocate(5, 1, out _));
        Assert.False(bump.TryAllocate(1, 64, out _));

        Assert.Equal(60, bump.Next);
        Assert.Equal(1, bump.LiveCount);
        Assert.True(bump.TryAllocate(4, 1, out long last));
        Assert.Equal(60, last);
        bump.CheckInvariants();
    }

    [Fact]
    public void AllocationThatWouldOverflowFailsAndChangesNothing()
    {
        var bump = new BumpAllocator(long.MaxValue - 10, long.MaxValue);
        Assert.True(bump.TryAllocate(3, 1, out _));

        Assert.False(bump.TryAllocate(1, 1 << 20, out _));
        Assert.False(bump.TryAllocate(long.MaxValue, 1, out _));

        Assert.Equal(long.MaxValue - 7, bump.Next);
        bump.CheckInvariants();
    }

    [Theory]
    [InlineData(0, 1, "size")]
    [InlineData(-1, 1, "size")]
    [InlineData(8, 0, "alignment")]
    [InlineData(8, 12, "alignment")]
    [InlineData(8, 1L << 21, "alignment")]
    public void BadRequestsThrowAndChangeNothing(long size, long alignment, string parameter)
    {
        var bump = new BumpAllocator(0, 1000);
        Assert.True(bump.TryAllocate(10, 1, out _));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => bump.TryAllocate(size, alignment, out _));

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(parameter == "size" ? $"The size is {size}" : $"The alignment is {alignment}", error.Message, StringComparison.Ordinal);
        Assert.Equal((10L, 1L), (bump.Next, bump.LiveCount));
        bump.CheckInvariants();
    }

    [Theory]
    [InlineData(-8, 4)]
    [InlineData(16, 4)]
    [InlineData(8, 8)]
    public void FreeOutsideTheAllocatedPartThrowsAndChangesNothing(long offset, long size)
    {
        var bump = new BumpAllocator(0, 1000);
        Assert.True(bump.TryAllocate(10, 1, out _));
        Assert.True(bump.TryAllocate(4, 1, out _));

        var error = Assert.Throws<ArgumentException>(() => bump.Free(offset, size, 1));

        Assert.Contains($"offset {offset} of size {size} must lie inside the allocated part [0, 14)", error.Message, StringComparison.Ordinal);
        Assert.Equal((14L, 2L), (bump.Next, bump.LiveCount));
        bump.CheckInvariants();
    }

    [Fact]
    public void FreeWithAnAlignmentTheOffsetBreaksThrows()
    {
        var bump = new BumpAllocator(0, 1000);
        Assert.True(bump.TryAllocate(3, 1, out _));
        Assert.True(bump.TryAllocate(4, 1, out long odd));

        var error = Assert.Throws<ArgumentException>(() => bump.Free(odd, 4, 8));

        Assert.Contains("Offset 3 is not a multiple of alignment 8", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, bump.LiveCount);
    }

    [Fact]
    public void TrackingDetectsDoubleFreeAndWrongSize()
    {
        var bump = new BumpAllocator(0, 1000, trackAllocations: true);
        Assert.True(bump.TryAllocate(10, 1, out long a));
        Assert.True(bump.TryAllocate(10, 1, out long b));
        bump.Free(a, 10, 1);

        var doubleFree = Assert.Throws<ArgumentException>(() => bump.Free(a, 10, 1));
        var wrongSize = Assert.Throws<ArgumentException>(() => bump.Free(b, 9, 1));

        Assert.Contains("Offset 0 is not the start of a live allocation", doubleFree.Message, StringComparison.Ordinal);
        Assert.Contains("Size 9 differs from the size 10", wrongSize.Message, StringComparison.Ordinal);
        Assert.Equal((20L, 1L), (bump.Next, bump.LiveCount));
        Assert.True(bump.TracksAllocations);
        bump.CheckInvariants();
    }

    [Fact]
    public void ConstructorRejectsAReversedOrNegativeRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BumpAllocator(-1, 10));
        var reversed = Assert.Throws<ArgumentOutOfRangeException>(() => new BumpAllocator(10, 9));
        Assert.Contains("end offset 9 must be at least the start offset 10", reversed.Message, StringComparison.Ordinal);
    }

    /// <summary>Corrupts the structure so that exactly BUMP-BOUNDS is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.BumpBounds)]
    public void BoundsViolationIsReported()
    {
        var bump = new BumpAllocator(0, 100);
        Assert.True(bump.TryAllocate(10, 1, out _));
        bump.SetNextForTest(101);

        InvariantAssert.Violates(TextbookInvariantIds.BumpBounds, bump.CheckInvariants);
    }

    /// <summary>Corrupts the structure so that exactly BUMP-RESET is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.BumpReset)]
    public void ResetViolationIsReported()
    {
        var bump = new BumpAllocator(0, 100);
        Assert.True(bump.TryAllocate(10, 1, out _));
        bump.SetLiveCountForTest(0);

        InvariantAssert.Violates(TextbookInvariantIds.BumpReset, bump.CheckInvariants);
    }

    /// <summary>Corrupts the structure so that exactly BUMP-LIVE is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.BumpLive)]
    public void LiveViolationIsReportedForANegativeCount()
    {
        var bump = new BumpAllocator(0, 100);
        Assert.True(bump.TryAllocate(10, 1, out _));
        bump.SetLiveCountForTest(-1);

        InvariantAssert.Violates(TextbookInvariantIds.BumpLive, bump.CheckInvariants);
    }

    /// <summary>Corrupts the structure so that exactly BUMP-LIVE is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.BumpLive)]
    public void LiveViolationIsReportedWhenTheCountDisagreesWithTheTable()
    {
        var bump = new BumpAllocator(0, 100, trackAllocations: true);
        Assert.True(bump.TryAllocate(10, 1, out _));
        Assert.True(bump.TryAllocate(10, 1, out _));
        bump.SetLiveCountForTest(1);

        InvariantAssert.Violates(TextbookInvariantIds.BumpLive, bump.CheckInvariants);
    }
}
