using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.Invariants;

/// <summary>
/// The shared range checkers, called directly: each accepts the exact boundary of its rule, rejects one step past
/// it, and reports the offending range by position with the values that broke the rule (the message is what a user
/// reads when <c>CheckInvariants</c> fails, so it is checked whole).
/// </summary>
public sealed class RangeSequenceChecksTests
{
    private const string Id = "TEST-ID";

    private static AddressRange R(long start, long size) => new(start, size);

    [Fact]
    public void AnAddressRangeEndsPastItsLastByteAndPrintsAsHalfOpenHex()
    {
        Assert.Equal(0x30, R(0x10, 0x20).End);
        Assert.Equal("[0x10, 0x30)", R(0x10, 0x20).ToString());
    }

    [Fact]
    public void SortedAcceptsStrictOrderInEitherDirectionAndShortSequences()
    {
        Assert.Null(RangeSequenceChecks.Sorted([], RangeOrder.Ascending, Id));
        Assert.Null(RangeSequenceChecks.Sorted([R(5, 1)], RangeOrder.Descending, Id));
        Assert.Null(RangeSequenceChecks.Sorted([R(0, 16), R(32, 16), R(33, 1)], RangeOrder.Ascending, Id));
        Assert.Null(RangeSequenceChecks.Sorted([R(33, 1), R(32, 16), R(0, 16)], RangeOrder.Descending, Id));
    }

    [Fact]
    public void SortedRejectsEqualStartsAndTheWrongDirection()
    {
        Assert.Equal(
            "TEST-ID at range #2 [0x20, 0x21): starts must be strictly ascending, but range #1 [0x20, 0x30) is followed by [0x20, 0x21)",
            RangeSequenceChecks.Sorted([R(0, 16), R(32, 16), R(32, 1)], RangeOrder.Ascending, Id)?.ToString());
        Assert.Equal(
            "TEST-ID at range #1 [0x10, 0x11): starts must be strictly descending, but range #0 [0x10, 0x20) is followed by [0x10, 0x11)",
            RangeSequenceChecks.Sorted([R(16, 16), R(16, 1)], RangeOrder.Descending, Id)?.ToString());
        Assert.Equal(
            "TEST-ID at range #1 [0x20, 0x30): starts must be strictly descending, but range #0 [0x0, 0x10) is followed by [0x20, 0x30)",
            RangeSequenceChecks.Sorted([R(0, 16), R(32, 16)], RangeOrder.Descending, Id)?.ToString());
        Assert.NotNull(RangeSequenceChecks.Sorted([R(32, 16), R(0, 16)], RangeOrder.Ascending, Id));
    }

    [Fact]
    public void IsolatedNeedsAGapOfOneByteInEitherDirection()
    {
        Assert.Null(RangeSequenceChecks.Isolated([R(0, 16), R(17, 1)], Id));
        Assert.Null(RangeSequenceChecks.Isolated([R(17, 1), R(0, 16)], Id));
        Assert.Equal(
            "TEST-ID at range #1 [0x10, 0x11): [0x10, 0x11) touches its list neighbour #0 [0x0, 0x10) (adjacent ranges must be merged)",
            RangeSequenceChecks.Isolated([R(0, 16), R(16, 1)], Id)?.ToString());
        Assert.Equal(
            "TEST-ID at range #1 [0x0, 0x10): [0x0, 0x10) touches its list neighbour #0 [0x10, 0x11) (adjacent ranges must be merged)",
            RangeSequenceChecks.Isolated([R(16, 1), R(0, 16)], Id)?.ToString());
        Assert.Equal(
            "TEST-ID at range #2 [0xf, 0x11): [0xf, 0x11) overlaps its list neighbour #1 [0x0, 0x10)",
            RangeSequenceChecks.Isolated([R(64, 1), R(0, 16), R(15, 2)], Id)?.ToString());
    }

    [Fact]
    public void DisjointAllowsTouchingButNotOverlapping()
    {
        Assert.Null(RangeSequenceChecks.Disjoint([R(0, 16), R(16, 1)], Id));
        Assert.Null(RangeSequenceChecks.Disjoint([R(16, 1), R(0, 16)], Id));
        Assert.Equal(
            "TEST-ID at range #1 [0x0, 0x10): [0x0, 0x10) overlaps its list neighbour #0 [0xf, 0x10)",
            RangeSequenceChecks.Disjoint([R(15, 1), R(0, 16)], Id)?.ToString());
    }

    [Fact]
    public void AlignedChecksStartAndSizeSeparately()
    {
        Assert.Null(RangeSequenceChecks.Aligned([R(0, 16), R(32, 48)], 16, Id));
        Assert.Equal(
            "TEST-ID at range #1 [0x28, 0x38): start 0x28 is not a multiple of 16",
            RangeSequenceChecks.Aligned([R(0, 16), R(40, 16)], 16, Id)?.ToString());
        Assert.Equal(
            "TEST-ID at range #0 [0x20, 0x28): size 8 is not a multiple of 16",
            RangeSequenceChecks.Aligned([R(32, 8)], 16, Id)?.ToString());
        Assert.Null(RangeSequenceChecks.Aligned([R(3, 5)], 1, Id));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-16L)]
    [InlineData(3L)]
    [InlineData(24L)]
    public void AlignedRejectsAnAlignmentThatIsNotAPositivePowerOfTwo(long alignment)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RangeSequenceChecks.Aligned([R(0, 16)], alignment, Id));
        Assert.Equal("alignment", error.ParamName);
        Assert.Equal(alignment, error.ActualValue);
        Assert.StartsWith("Alignment must be a positive power of two.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithinBoundsAcceptsRangesThatTouchEitherBound()
    {
        Assert.Null(RangeSequenceChecks.WithinBounds([R(16, 16), R(48, 16)], 16, 64, Id));
        Assert.Null(RangeSequenceChecks.WithinBounds([R(64, 0)], 16, 64, Id));
        Assert.Null(RangeSequenceChecks.WithinBounds([R(0, long.MaxValue)], 0, long.MaxValue, Id));
    }

    [Fact]
    public void WithinBoundsRejectsAByteOutsideEitherBoundWithoutOverflowing()
    {
        Assert.Equal(
            "TEST-ID at range #0 [0xf, 0x1f): range must lie inside [0x10, 0x40) but starts at 0xf with size 16",
            RangeSequenceChecks.WithinBounds([R(15, 16)], 16, 64, Id)?.ToString());
        Assert.Equal(
            "TEST-ID at range #1 [0x31, 0x41): range must lie inside [0x10, 0x40) but starts at 0x31 with size 16",
            RangeSequenceChecks.WithinBounds([R(16, 16), R(49, 16)], 16, 64, Id)?.ToString());
        Assert.NotNull(RangeSequenceChecks.WithinBounds([R(65, 0)], 16, 64, Id));
        Assert.NotNull(RangeSequenceChecks.WithinBounds([R(32, long.MaxValue)], 16, 64, Id));
    }

    [Fact]
    public void MinimumSizeAcceptsExactlyTheMinimum()
    {
        Assert.Null(RangeSequenceChecks.MinimumSize([R(0, 16), R(32, 17)], 16, Id));
        Assert.Equal(
            "TEST-ID at range #1 [0x20, 0x2f): size 15 is below the minimum 16",
            RangeSequenceChecks.MinimumSize([R(0, 16), R(32, 15)], 16, Id)?.ToString());
    }

    [Fact]
    public void ConservedComparesTheSumWithTheTotal()
    {
        Assert.Null(RangeSequenceChecks.Conserved(48, 16, 64, Id));
        Assert.Equal(
            "TEST-ID at heap: free 48 + live 15 = 63 bytes, but 64 are managed",
            RangeSequenceChecks.Conserved(48, 15, 64, Id)?.ToString());
        Assert.Equal(
            "TEST-ID at pool: free 48 + live 17 = 65 bytes, but 64 are managed",
            RangeSequenceChecks.Conserved(48, 17, 64, Id, "pool")?.ToString());
    }

    [Fact]
    public void TotalSizeAddsTheSizesAndRefusesToWrap()
    {
        Assert.Equal(0, RangeSequenceChecks.TotalSize([]));
        Assert.Equal(49, RangeSequenceChecks.TotalSize([R(0, 16), R(32, 33)]));
        Assert.Throws<OverflowException>(() => RangeSequenceChecks.TotalSize([R(0, long.MaxValue), R(0, 1)]));
    }
}
