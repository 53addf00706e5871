using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Tests.Unit.SegregatedFit;

/// <summary>Ids are stable names cited by spec/segfit.md and spec/textbook.md: renaming one must be deliberate.</summary>
public sealed class InvariantIdStabilityTests
{
    [Fact]
    public void SegregatedFitIdsAreStable()
    {
        Assert.Equal(
            ["SEG-BITMAP", "SEG-LISTS", "SEG-PHYS", "SEG-NOFREENBR", "SEG-ALIGNED", "SEG-CONSERVE", "SEG-USEDMAP"],
            [SegregatedFitInvariantIds.Bitmap, SegregatedFitInvariantIds.Lists, SegregatedFitInvariantIds.Physical,
                SegregatedFitInvariantIds.NoFreeNeighbours, SegregatedFitInvariantIds.Aligned, SegregatedFitInvariantIds.Conserve,
                SegregatedFitInvariantIds.UsedMap]);
    }

    [Fact]
    public void FrontCacheIdsAreStable()
    {
        Assert.Equal(["SEG-CACHE", "SEG-CACHEBOUND"], [SegregatedFitInvariantIds.Cache, SegregatedFitInvariantIds.CacheBound]);
    }

    [Fact]
    public void TextbookIdsAreStable()
    {
        Assert.Equal(
            ["BUMP-BOUNDS", "BUMP-RESET", "BUMP-LIVE", "LL-BOUNDS", "LL-ALIGNED", "LL-MINSIZE", "LL-DISJOINT", "LL-ACYCLIC", "LL-CONSERVE",
                "FSB-CLASS", "FSB-ACYCLIC", "FSB-DISJOINT"],
            [TextbookInvariantIds.BumpBounds, TextbookInvariantIds.BumpReset, TextbookInvariantIds.BumpLive,
                TextbookInvariantIds.LinkedListBounds, TextbookInvariantIds.LinkedListAligned, TextbookInvariantIds.LinkedListMinSize,
                TextbookInvariantIds.LinkedListDisjoint, TextbookInvariantIds.LinkedListAcyclic, TextbookInvariantIds.LinkedListConserve,
                TextbookInvariantIds.FixedSizeClass, TextbookInvariantIds.FixedSizeAcyclic, TextbookInvariantIds.FixedSizeDisjoint]);
    }
}
