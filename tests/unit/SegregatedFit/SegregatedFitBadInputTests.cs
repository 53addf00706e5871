using Veralloc.Allocators.SegregatedFit;
using Snapshot = Veralloc.Tests.Unit.SegregatedFit.SegregatedFitAllocatorTests.Snapshot;

namespace Veralloc.Tests.Unit.SegregatedFit;

public sealed class SegregatedFitBadInputTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-16)]
    [InlineData(24)]
    [InlineData(long.MaxValue)]
    public void ConstructorRejectsACapacityOutOfRange(long capacity)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SegregatedFitAllocator(capacity));

        Assert.Equal("capacityBytes", error.ParamName);
        Assert.Contains(capacity.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains("multiple of 16", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void ConstructorRejectsSecondLevelBitsOutOfRange(int bits)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new SegregatedFitAllocator(1024, new SegregatedFitOptions { SecondLevelBits = bits }));

        Assert.Contains($"SecondLevelBits is {bits}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConstructorRejectsZeroInitialRecords()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new SegregatedFitAllocator(1024, new SegregatedFitOptions { InitialBlockRecords = 0 }));

        Assert.Contains("InitialBlockRecords is 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1, "size", "The size is 0")]
    [InlineData(-5, 1, "size", "The size is -5")]
    [InlineData(long.MaxValue, 1, "size", "The size is 9223372036854775807")]
    [InlineData(16, 0, "alignment", "The alignment is 0")]
    [InlineData(16, 48, "alignment", "The alignment is 48")]
    [InlineData(16, 1L << 21, "alignment", "The alignment is 2097152")]
    public void TryAllocateRejectsBadRequestsAndChangesNothing(long size, long alignment, string parameter, string message)
    {
        SegregatedFitAllocator allocator = WithOneAllocation(out _);
        Snapshot before = Snapshot.Of(allocator);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => allocator.TryAllocate(size, alignment, out _));

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot.Of(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreeOfAnOffsetThatIsNotAllocatedThrowsAndChangesNothing()
    {
        SegregatedFitAllocator allocator = WithOneAllocation(out long offset);
        Snapshot before = Snapshot.Of(allocator);

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(offset + 16, 16, 1));

        Assert.Equal("offset", error.ParamName);
        Assert.Contains($"Offset {offset + 16} is not the start of a live allocation", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot.Of(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void DoubleFreeThrowsAndChangesNothing()
    {
        SegregatedFitAllocator allocator = WithOneAllocation(out long offset);
        Assert.True(allocator.TryAllocate(32, 1, out long other));
        allocator.Free(offset, 100, 16);
        Snapshot before = Snapshot.Of(allocator);

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(offset, 100, 16));

        Assert.Contains("already freed", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot.Of(allocator));
        allocator.CheckInvariants();
        allocator.Free(other, 32, 1);
    }

    [Fact]
    public void FreeWithADifferentSizeThrowsAndChangesNothing()
    {
        SegregatedFitAllocator allocator = WithOneAllocation(out long offset);
        Snapshot before = Snapshot.Of(allocator);

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(offset, 200, 16));

        Assert.Equal("size", error.ParamName);
        Assert.Contains("Size 200 rounds to 208 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot.Of(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreeWithAnAlignmentTheOffsetBreaksThrowsAndChangesNothing()
    {
        var allocator = new SegregatedFitAllocator(4096);
        Assert.True(allocator.TryAllocate(16, 1, out _));
        Assert.True(allocator.TryAllocate(16, 1, out long offset));
        Snapshot before = Snapshot.Of(allocator);

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(offset, 16, 64));

        Assert.Equal("alignment", error.ParamName);
        Assert.Contains("Offset 16 is not a multiple of alignment 64", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot.Of(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreeWithAnInvalidSizeThrowsOutOfRangeAndChangesNothing()
    {
        SegregatedFitAllocator allocator = WithOneAllocation(out long offset);
        Snapshot before = Snapshot.Of(allocator);

        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Free(offset, 0, 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Free(offset, 100, 3));

        Assert.Equal(before, Snapshot.Of(allocator));
        allocator.CheckInvariants();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-16)]
    [InlineData(8)]
    [InlineData(SegregatedFitAllocator.MaxCapacityBytes)]
    public void GrowRejectsBadSizesAndChangesNothing(long bytes)
    {
        SegregatedFitAllocator allocator = WithOneAllocation(out _);
        Snapshot before = Snapshot.Of(allocator);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Grow(bytes));

        Assert.Equal("bytes", error.ParamName);
        Assert.Contains($"bytes is {bytes}", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot.Of(allocator));
        allocator.CheckInvariants();
    }

    [Fact]
    public void TheCapacityMayReachMaxCapacityBytesExactly()
    {
        // The limit is inclusive, whether the capacity is given to the constructor or reached by Grow; one granule
        // more is refused. The range is bookkeeping only (offsets), so a range this large costs no memory.
        var atConstruction = new SegregatedFitAllocator(SegregatedFitAllocator.MaxCapacityBytes);
        Assert.Equal(SegregatedFitAllocator.MaxCapacityBytes, atConstruction.CapacityBytes);
        Assert.True(atConstruction.TryAllocate(16, 16, out _));
        atConstruction.CheckInvariants();

        SegregatedFitAllocator grown = WithOneAllocation(out _);
        grown.Grow(SegregatedFitAllocator.MaxCapacityBytes - 4096);
        Assert.Equal(SegregatedFitAllocator.MaxCapacityBytes, grown.CapacityBytes);
        grown.CheckInvariants();
        Snapshot before = Snapshot.Of(grown);
        Assert.Throws<ArgumentOutOfRangeException>(() => grown.Grow(16));
        Assert.Equal(before, Snapshot.Of(grown));
    }

    private static SegregatedFitAllocator WithOneAllocation(out long offset)
    {
        var allocator = new SegregatedFitAllocator(4096);
        Assert.True(allocator.TryAllocate(100, 16, out offset));
        return allocator;
    }
}
