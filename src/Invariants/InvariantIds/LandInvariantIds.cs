namespace Veralloc.Invariants.InvariantIds;

/// <summary>
/// Stable ids of the land invariants (spec/land.md). A land is a set of isolated address ranges; each
/// constant's value is the id reported by <c>ILand.CheckInvariants()</c> of <c>FreeListLand</c> and
/// <c>TreeLand</c>, and its documentation is the one-sentence statement.
/// </summary>
public static class LandInvariantIds
{
    /// <summary>The stored ranges are strictly ascending by start address, in list (or index) order.</summary>
    public const string Sorted = "LAND-SORTED";

    /// <summary>No two stored ranges overlap or touch: adjacent ranges are always merged into one.</summary>
    public const string Isolated = "LAND-ISOLATED";

    /// <summary>Every stored range's start and size are multiples of the land's grain.</summary>
    public const string Aligned = "LAND-ALIGNED";

    /// <summary>Every stored range holds at least one grain (no empty or negative ranges).</summary>
    public const string NonEmpty = "LAND-NONEMPTY";

    /// <summary>Every stored range lies inside the land's bounds (for the free-list land, the linear memory).</summary>
    public const string Bounds = "LAND-BOUNDS";

    /// <summary>
    /// Free-list land: a node's tag bit is set exactly when its range is a single grain; an untagged node's
    /// limit word makes it at least two grains long.
    /// </summary>
    public const string Tag = "LAND-TAG";

    /// <summary>
    /// Free-list land: every stored range of three grains or more holds its boundary tag (a value mixing its start
    /// and limit) in its last word, so a limit word is trusted only when the word below that limit confirms it.
    /// </summary>
    public const string EndTag = "LAND-ENDTAG";

    /// <summary>
    /// The walk over the structure (free list from the head; tree in order) meets exactly the recorded number of
    /// ranges (a longer or cyclic walk is cut off at that count and reported).
    /// </summary>
    public const string Count = "LAND-COUNT";

    /// <summary>The sizes of the stored ranges add up to the recorded total size.</summary>
    public const string Total = "LAND-TOTAL";

    /// <summary>Free-list land: the recorded maximum-size hint is at least the size of every stored range.</summary>
    public const string Hint = "LAND-HINT";

    /// <summary>
    /// Tree land: every node's cached subtree maximum equals the size of the largest range in its subtree (the
    /// size index that find-first, find-last and find-largest descend by).
    /// </summary>
    public const string Index = "LAND-INDEX";

    /// <summary>
    /// Tree land: no node has a higher priority than its parent (treap heap order, which keeps the expected
    /// depth logarithmic).
    /// </summary>
    public const string Heap = "LAND-HEAP";
}
