namespace Veralloc.Invariants.InvariantIds;

/// <summary>
/// Stable invariant ids of the two-level segregated-fit allocator (<c>SegregatedFitAllocator</c>);
/// each constant's documentation is the invariant's one-sentence statement (see <c>spec/segfit.md</c>).
/// </summary>
public static class SegregatedFitInvariantIds
{
    /// <summary>A second-level bitmap bit is set exactly when its free list is non-empty, and a first-level bit exactly when any of its second-level bits is set.</summary>
    public const string Bitmap = "SEG-BITMAP";

    /// <summary>Every free list is a consistent doubly linked list, and every free block is on exactly the list of its size class, once; no used or dead record is on a list.</summary>
    public const string Lists = "SEG-LISTS";

    /// <summary>The live block records, walked in physical order, tile <c>[0, capacity)</c> exactly, with agreeing previous/next links, and every live record is reached.</summary>
    public const string Physical = "SEG-PHYS";

    /// <summary>No two physically adjacent blocks are both free (freeing coalesces immediately).</summary>
    public const string NoFreeNeighbours = "SEG-NOFREENBR";

    /// <summary>Every block offset and size is a multiple of the granule, and every size is at least one granule.</summary>
    public const string Aligned = "SEG-ALIGNED";

    /// <summary>Free bytes plus used bytes equal the capacity, and the free/used byte and block counters equal the sums over the blocks.</summary>
    public const string Conserve = "SEG-CONSERVE";

    /// <summary>The offset map holds exactly the used blocks and the front cache's parked blocks, each under its own offset.</summary>
    public const string UsedMap = "SEG-USEDMAP";

    /// <summary>Every parked block is on exactly the front-cache list of its granule count, once; each list's count is its length; the parked-block and parked-byte counters equal the sums over the lists.</summary>
    public const string Cache = "SEG-CACHE";

    /// <summary>No front-cache list is longer than the depth, no parked block is larger than the cache's largest size, and nothing is parked when the cache is off.</summary>
    public const string CacheBound = "SEG-CACHEBOUND";
}
