namespace Veralloc.Invariants.InvariantIds;

/// <summary>
/// Stable invariant ids of the textbook allocators (bump, unsorted linked list, fixed-size blocks);
/// each constant's documentation is the invariant's one-sentence statement (see <c>spec/textbook.md</c>).
/// </summary>
public static class TextbookInvariantIds
{
    /// <summary>Bump: <c>start &lt;= next &lt;= end</c>.</summary>
    public const string BumpBounds = "BUMP-BOUNDS";

    /// <summary>Bump: when no allocation is live, <c>next == start</c>.</summary>
    public const string BumpReset = "BUMP-RESET";

    /// <summary>Bump: the live counter is non-negative, and with tracking on it equals the number of tracked allocations, each inside <c>[start, next)</c>.</summary>
    public const string BumpLive = "BUMP-LIVE";

    /// <summary>Linked list: every free region lies inside the managed memory.</summary>
    public const string LinkedListBounds = "LL-BOUNDS";

    /// <summary>Linked list: every free region's start and size are multiples of the word size.</summary>
    public const string LinkedListAligned = "LL-ALIGNED";

    /// <summary>Linked list: every free region is at least one node (16 bytes).</summary>
    public const string LinkedListMinSize = "LL-MINSIZE";

    /// <summary>Linked list: no two free regions overlap.</summary>
    public const string LinkedListDisjoint = "LL-DISJOINT";

    /// <summary>Linked list: the walk from the head ends within <c>managed bytes / node</c> regions.</summary>
    public const string LinkedListAcyclic = "LL-ACYCLIC";

    /// <summary>Linked list: the free regions' bytes equal the free counter, and free plus live bytes equal the managed bytes.</summary>
    public const string LinkedListConserve = "LL-CONSERVE";

    /// <summary>
    /// Linked list: every free region larger than one node holds its boundary tag (a value mixing its start and
    /// end) in its last word, so a size word is trusted only when the word below the end it claims confirms it.
    /// </summary>
    public const string LinkedListEndTag = "LL-ENDTAG";

    /// <summary>Fixed-size blocks: every block on class <c>c</c>'s list is <c>c</c>-aligned and lies inside the memory.</summary>
    public const string FixedSizeClass = "FSB-CLASS";

    /// <summary>Fixed-size blocks: every class list ends after exactly its recorded length.</summary>
    public const string FixedSizeAcyclic = "FSB-ACYCLIC";

    /// <summary>Fixed-size blocks: no two listed blocks (over all classes) overlap.</summary>
    public const string FixedSizeDisjoint = "FSB-DISJOINT";

    /// <summary>Fixed-size blocks: every listed block is recorded in the ownership table as a listed block of its class, and the table records no other listed block.</summary>
    public const string FixedSizeOwned = "FSB-OWNED";
}
