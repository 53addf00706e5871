using Veralloc.Allocators.Lands;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.Lands;

/// <summary>Worked examples of the land contract (spec/land.md), run against both lands.</summary>
public sealed class LandBehaviourTests
{
    private const long N = 16;

    public static TheoryData<string> Kinds => LandFixture.Kinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void InsertMergesWithTheNeighbourBelowAboveAndBoth(string kind)
    {
        ILand land = LandFixture.Create(kind).Land;

        Assert.Equal(new AddressRange(3 * N, N), land.Insert(new AddressRange(3 * N, N)));
        Assert.Equal([new AddressRange(3 * N, N)], land.ToRangeList());

        Assert.Equal(new AddressRange(N, N), land.Insert(new AddressRange(N, N)));
        Assert.Equal([new AddressRange(N, N), new AddressRange(3 * N, N)], land.ToRangeList());

        Assert.Equal(new AddressRange(0, 2 * N), land.Insert(new AddressRange(0, N)));
        Assert.Equal([new AddressRange(0, 2 * N), new AddressRange(3 * N, N)], land.ToRangeList());

        Assert.Equal(new AddressRange(0, 4 * N), land.Insert(new AddressRange(2 * N, N)));
        Assert.Equal([new AddressRange(0, 4 * N)], land.ToRangeList());
        Assert.Equal(4 * N, land.TotalSize);
        Assert.Equal(1, land.RangeCount);
        land.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DeleteTrimsSplitsAndRemoves(string kind)
    {
        ILand land = LandFixture.Create(kind).Land;
        land.Insert(new AddressRange(0, 0x40));

        land.Delete(new AddressRange(0x10, 0x10));
        Assert.Equal([new AddressRange(0, 0x10), new AddressRange(0x20, 0x20)], land.ToRangeList());

        land.Delete(new AddressRange(0, 0x8));
        Assert.Equal([new AddressRange(0x8, 0x8), new AddressRange(0x20, 0x20)], land.ToRangeList());

        land.Delete(new AddressRange(0x38, 0x8));
        Assert.Equal([new AddressRange(0x8, 0x8), new AddressRange(0x20, 0x18)], land.ToRangeList());

        land.Delete(new AddressRange(0x8, 0x8));
        Assert.Equal([new AddressRange(0x20, 0x18)], land.ToRangeList());
        Assert.Equal(0x18, land.TotalSize);
        land.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FindsPickFirstLastAndLowestLargestAndDeleteAsAsked(string kind)
    {
        ILand land = LandFixture.Create(kind).Land;
        land.Insert(new AddressRange(0x00, 0x10));
        land.Insert(new AddressRange(0x20, 0x30));
        land.Insert(new AddressRange(0x60, 0x10));
        land.Insert(new AddressRange(0x80, 0x30));

        Assert.True(land.TryFindFirst(0x10, FindDelete.None, out LandFindResult first));
        Assert.Equal(new LandFindResult(new AddressRange(0x00, 0x10), default), first);

        Assert.True(land.TryFindLast(0x10, FindDelete.Low, out LandFindResult last));
        Assert.Equal(new LandFindResult(new AddressRange(0x80, 0x30), new AddressRange(0x80, 0x10)), last);

        // [0x20, 0x50) and [0x90, 0xb0) are now 0x30 and 0x20: the lowest largest is [0x20, 0x50).
        Assert.True(land.TryFindLargest(0x8, FindDelete.High, out LandFindResult largest));
        Assert.Equal(new LandFindResult(new AddressRange(0x20, 0x30), new AddressRange(0x48, 0x8)), largest);

        Assert.True(land.TryFindFirst(0x20, FindDelete.Entire, out LandFindResult entire));
        Assert.Equal(new LandFindResult(new AddressRange(0x20, 0x28), new AddressRange(0x20, 0x28)), entire);

        Assert.False(land.TryFindLargest(0x28, FindDelete.Entire, out _));
        Assert.Equal([new AddressRange(0x00, 0x10), new AddressRange(0x60, 0x10), new AddressRange(0x90, 0x20)], land.ToRangeList());
        land.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FlushMovesEverythingIntoTheOtherKindAndBack(string kind)
    {
        LandFixture source = LandFixture.CreatePopulated(kind);
        List<AddressRange> ranges = source.Land.ToRangeList();
        ILand target = LandFixture.Create(kind == nameof(TreeLand) ? nameof(FreeListLand) : nameof(TreeLand)).Land;
        target.Insert(new AddressRange(0x30, 0x10)); // touches [0x10, 0x30) and [0x40, 0x48): the flush merges them

        source.Land.FlushTo(target);

        Assert.Equal(0, source.Land.RangeCount);
        Assert.Equal(0, source.Land.TotalSize);
        Assert.Equal([new AddressRange(0x10, 0x38), new AddressRange(0x80, 0x40)], target.ToRangeList());
        target.Delete(new AddressRange(0x30, 0x10));
        target.FlushTo(source.Land);
        Assert.Equal(ranges, source.Land.ToRangeList());
        source.Land.CheckInvariants();
        target.CheckInvariants();
    }

    [Fact]
    public void TheFreeListHintLetsAHopelessFindExitAndBecomesExactAfterAFindLargestScan()
    {
        LandFixture fixture = LandFixture.CreatePopulated(nameof(FreeListLand));
        var land = (FreeListLand)fixture.Land;
        Assert.Equal(0x40, land.MaxSizeHint);

        land.Delete(new AddressRange(0x80, 0x40));
        Assert.Equal(0x40, land.MaxSizeHint); // still an upper bound, no longer exact
        Assert.False(land.TryFindLargest(0x28, FindDelete.None, out _));
        Assert.Equal(0x20, land.MaxSizeHint);

        land.Delete(new AddressRange(0x10, 0x20));
        land.Delete(new AddressRange(0x40, 0x8));
        Assert.Equal(0, land.MaxSizeHint);
        land.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AVisitorMayIterateTheSameLandAgain(string kind)
    {
        ILand land = LandFixture.CreatePopulated(kind).Land;
        var outer = new NestingVisitor(land);
        Assert.True(land.Iterate(ref outer));
        Assert.Equal(land.RangeCount * land.RangeCount, outer.InnerVisits.Count);
    }

    [Fact]
    public void ATreeLandWithAPageGrainWorksInPages()
    {
        var land = new TreeLand(grainBytes: 4096, new AddressRange(4096, 16 * 4096));
        Assert.Equal(new AddressRange(4096, 2 * 4096), land.Insert(new AddressRange(4096, 2 * 4096)));
        Assert.Equal(new AddressRange(4096, 4 * 4096), land.Insert(new AddressRange(3 * 4096, 2 * 4096)));
        Assert.Throws<ArgumentOutOfRangeException>(() => land.Insert(new AddressRange(8 * 4096, 8)));
        Assert.Throws<ArgumentOutOfRangeException>(() => land.Insert(new AddressRange(0, 4096)));
        Assert.Throws<ArgumentOutOfRangeException>(() => land.TryFindFirst(8, FindDelete.None, out _));
        Assert.True(land.TryFindLargest(4096, FindDelete.High, out LandFindResult found));
        Assert.Equal(new LandFindResult(new AddressRange(4096, 4 * 4096), new AddressRange(4 * 4096, 4096)), found);
        Assert.Equal([new AddressRange(4096, 3 * 4096)], land.ToRangeList());
        land.CheckInvariants();
    }

    private readonly struct NestingVisitor(ILand land) : ILandVisitor
    {
        public List<AddressRange> InnerVisits { get; } = [];

        public bool Visit(AddressRange range)
        {
            land.CopyRangesTo(InnerVisits);
            return true;
        }
    }
}
