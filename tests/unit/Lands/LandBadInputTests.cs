using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.Lands;

/// <summary>
/// Every rejected call on either land: the exception type, a message naming the value and the rule, and a
/// land (and memory) left exactly as it was, with its invariants intact.
/// </summary>
public sealed class LandBadInputTests
{
    public static TheoryData<string> Kinds => LandFixture.Kinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void InsertOverlappingAStoredRangeThrowsAndChangesNothing(string kind)
    {
        LandFixture fixture = LandFixture.CreatePopulated(kind);
        foreach (AddressRange overlapping in new AddressRange[] { new(0x28, 0x10), new(0x0, 0x18), new(0x40, 0x8), new(0x38, 0x10), new(0x90, 0x8), new(0x0, 0x100) })
        {
            LandFixture.Snapshot before = fixture.Take();
            Assert.False(fixture.Land.CanInsert(overlapping));
            ArgumentException error = Assert.Throws<ArgumentException>(() => fixture.Land.Insert(overlapping));
            Assert.Equal("range", error.ParamName);
            Assert.Contains(overlapping.ToString(), error.Message, StringComparison.Ordinal);
            Assert.Contains("overlaps the stored range", error.Message, StringComparison.Ordinal);
            fixture.AssertUnchanged(before);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void InsertOfAnInvalidRangeThrowsOutOfRangeAndChangesNothing(string kind)
    {
        LandFixture fixture = LandFixture.CreatePopulated(kind);
        (AddressRange Range, string Rule)[] cases =
        [
            (new AddressRange(0x100, 0), "at least one grain"),
            (new AddressRange(0x100, -8), "at least one grain"),
            (new AddressRange(0x104, 8), "multiples of the grain"),
            (new AddressRange(0x100, 12), "multiples of the grain"),
            (new AddressRange(-8, 16), "inside the land's bounds"),
            (new AddressRange(LandFixture.BoundBytes - 8, 16), "inside the land's bounds"),
            (new AddressRange(LandFixture.BoundBytes, 8), "inside the land's bounds"),
            (new AddressRange(long.MaxValue & ~7L, 8), "inside the land's bounds"),
        ];
        foreach ((AddressRange range, string rule) in cases)
        {
            LandFixture.Snapshot before = fixture.Take();
            Assert.False(fixture.Land.CanInsert(range));
            ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Land.Insert(range));
            Assert.Equal("range", error.ParamName);
            Assert.Equal(range, error.ActualValue);
            Assert.Contains(rule, error.Message, StringComparison.Ordinal);
            Assert.Contains(range.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
            fixture.AssertUnchanged(before);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DeleteOfARangeNotInsideOneStoredRangeThrowsAndChangesNothing(string kind)
    {
        LandFixture fixture = LandFixture.CreatePopulated(kind);
        AddressRange[] notContained =
        [
            new(0x0, 0x8),     // below everything
            new(0x30, 0x10),   // in a gap
            new(0x28, 0x10),   // runs past the end of [0x10, 0x30)
            new(0x8, 0x10),    // starts before [0x10, 0x30)
            new(0x10, 0x40),   // spans two stored ranges and the gap between
            new(0xc0, 0x8),    // just above the last range
        ];
        foreach (AddressRange range in notContained)
        {
            LandFixture.Snapshot before = fixture.Take();
            Assert.False(fixture.Land.CanDelete(range));
            ArgumentException error = Assert.Throws<ArgumentException>(() => fixture.Land.Delete(range));
            Assert.Equal("range", error.ParamName);
            Assert.Contains(range.ToString(), error.Message, StringComparison.Ordinal);
            Assert.Contains("wholly inside one stored range", error.Message, StringComparison.Ordinal);
            fixture.AssertUnchanged(before);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DeleteOfAnInvalidRangeThrowsOutOfRangeAndChangesNothing(string kind)
    {
        LandFixture fixture = LandFixture.CreatePopulated(kind);
        (AddressRange Range, string Rule)[] cases =
        [
            (new AddressRange(0x10, 0), "at least one grain"),
            (new AddressRange(0x10, -16), "at least one grain"),
            (new AddressRange(0x11, 8), "multiples of the grain"),
            (new AddressRange(0x80, 9), "multiples of the grain"),
            (new AddressRange(LandFixture.BoundBytes, 8), "inside the land's bounds"),
        ];
        foreach ((AddressRange range, string rule) in cases)
        {
            LandFixture.Snapshot before = fixture.Take();
            Assert.False(fixture.Land.CanDelete(range));
            ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Land.Delete(range));
            Assert.Equal(range, error.ActualValue);
            Assert.Contains(rule, error.Message, StringComparison.Ordinal);
            fixture.AssertUnchanged(before);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FindWithAnInvalidSizeOrOptionThrowsAndChangesNothing(string kind)
    {
        LandFixture fixture = LandFixture.CreatePopulated(kind);
        ILand land = fixture.Land;
        foreach (long size in new long[] { 0, -8, 4, 12 })
        {
            foreach (Func<ILand, LandFindResult> find in Finds(size, FindDelete.Entire))
            {
                LandFixture.Snapshot before = fixture.Take();
                ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => find(land));
                Assert.Equal("size", error.ParamName);
                Assert.Equal(size, error.ActualValue);
                Assert.Contains("positive multiple of the grain", error.Message, StringComparison.Ordinal);
                fixture.AssertUnchanged(before);
            }
        }

        foreach (Func<ILand, LandFindResult> find in Finds(8, (FindDelete)7))
        {
            LandFixture.Snapshot before = fixture.Take();
            ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => find(land));
            Assert.Equal("delete", error.ParamName);
            Assert.Equal((FindDelete)7, error.ActualValue);
            Assert.Contains("None, Low, High, Entire", error.Message, StringComparison.Ordinal);
            fixture.AssertUnchanged(before);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FindOfMoreThanAnyRangeHoldsReturnsFalseAndChangesNothing(string kind)
    {
        LandFixture fixture = LandFixture.CreatePopulated(kind);
        foreach (Func<ILand, LandFindResult> find in Finds(0x48, FindDelete.Entire))
        {
            LandFixture.Snapshot before = fixture.Take();
            Assert.Equal(default, find(fixture.Land));
            fixture.AssertUnchanged(before);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FlushIntoItselfThrowsAndChangesNothing(string kind)
    {
        LandFixture fixture = LandFixture.CreatePopulated(kind);
        LandFixture.Snapshot before = fixture.Take();
        ArgumentException error = Assert.Throws<ArgumentException>(() => fixture.Land.FlushTo(fixture.Land));
        Assert.Equal("target", error.ParamName);
        Assert.Contains("into itself", error.Message, StringComparison.Ordinal);
        fixture.AssertUnchanged(before);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FlushIntoATargetThatRejectsARangeThrowsAndChangesNeitherLand(string kind)
    {
        foreach (string targetKind in new[] { nameof(FreeListLand), nameof(TreeLand) })
        {
            LandFixture source = LandFixture.CreatePopulated(kind);
            LandFixture target = LandFixture.Create(targetKind);
            target.Land.Insert(new AddressRange(0x0, 0x8));
            target.Land.Insert(new AddressRange(0xb8, 0x10)); // overlaps the source's last range only
            LandFixture.Snapshot sourceBefore = source.Take();
            LandFixture.Snapshot targetBefore = target.Take();

            ArgumentException error = Assert.Throws<ArgumentException>(() => source.Land.FlushTo(target.Land));

            Assert.Equal("target", error.ParamName);
            Assert.Contains(new AddressRange(0x80, 0x40).ToString(), error.Message, StringComparison.Ordinal);
            Assert.Contains("nothing was moved", error.Message, StringComparison.Ordinal);
            source.AssertUnchanged(sourceBefore);
            target.AssertUnchanged(targetBefore);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FlushIntoACoarserGrainedTargetThrowsWhenARangeIsMisalignedThere(string kind)
    {
        LandFixture source = LandFixture.CreatePopulated(kind);
        var target = new TreeLand(grainBytes: 16);
        LandFixture.Snapshot before = source.Take();

        ArgumentException error = Assert.Throws<ArgumentException>(() => source.Land.FlushTo(target));

        Assert.Contains(new AddressRange(0x40, 0x8).ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("grain of 16 bytes", error.Message, StringComparison.Ordinal);
        source.AssertUnchanged(before);
        Assert.Equal(0, target.RangeCount);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AVisitorThatModifiesTheLandIsStopped(string kind)
    {
        LandFixture fixture = LandFixture.CreatePopulated(kind);
        var visitor = new DeletingVisitor(fixture.Land);
        Assert.Throws<InvalidOperationException>(() => fixture.Land.Iterate(ref visitor));
        fixture.Land.CheckInvariants();
    }

    [Fact]
    public void ConstructorsRejectInvalidConfiguration()
    {
        Assert.Throws<ArgumentNullException>(() => new FreeListLand(null!));
        foreach (long grain in new long[] { 0, -8, 3, 24 })
        {
            ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => new TreeLand(grain));
            Assert.Equal(grain, error.ActualValue);
            Assert.Contains("power of two", error.Message, StringComparison.Ordinal);
        }

        foreach (AddressRange bounds in new AddressRange[] { new(-16, 32), new(4, 32), new(0, 20), new(0, -8), new(16, long.MaxValue & ~7L) })
        {
            ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => new TreeLand(8, bounds));
            Assert.Equal(bounds, error.ActualValue);
        }
    }

    [Fact]
    public void TheFreeListLandGrowsItsBoundsWithTheMemory()
    {
        var memory = new SlabLinearMemory(maxPages: 2, initialPages: 1);
        var land = new FreeListLand(memory);
        var secondPage = new AddressRange(LinearMemory.PageBytes, LinearMemory.PageBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => land.Insert(secondPage));
        Assert.True(memory.TryGrow(1, out _));
        Assert.Equal(secondPage, land.Insert(secondPage));
        Assert.Equal(new AddressRange(0, 2 * LinearMemory.PageBytes), land.Bounds);
        land.CheckInvariants();
    }

    private static IEnumerable<Func<ILand, LandFindResult>> Finds(long size, FindDelete delete)
    {
        yield return land => land.TryFindFirst(size, delete, out LandFindResult result) ? result : default;
        yield return land => land.TryFindLast(size, delete, out LandFindResult result) ? result : default;
        yield return land => land.TryFindLargest(size, delete, out LandFindResult result) ? result : default;
    }

    private readonly struct DeletingVisitor(ILand land) : ILandVisitor
    {
        public bool Visit(AddressRange range)
        {
            land.Delete(range);
            return true;
        }
    }
}
