namespace Veralloc.Invariants.InvariantIds;

/// <summary>
/// The stable ids of the address-ordered free-list allocator's invariants (spec/freelist.md). NODE is
/// 16 bytes; the heap is <c>[0, pages * 64 KiB)</c>.
/// </summary>
public static class FreeListInvariantIds
{
    /// <summary>Free nodes are strictly descending by start offset (the head is the highest block).</summary>
    public const string Sorted = "FL-SORTED";

    /// <summary>Consecutive free nodes neither overlap nor touch: adjacent free blocks are always merged.</summary>
    public const string NonAdjacent = "FL-NONADJ";

    /// <summary>Every free node's start and size are multiples of NODE.</summary>
    public const string Aligned = "FL-ALIGNED";

    /// <summary>Every free node, and every link followed to reach it, lies inside the heap.</summary>
    public const string Bounds = "FL-BOUNDS";

    /// <summary>Every free node is at least NODE bytes.</summary>
    public const string MinimumSize = "FL-MINSIZE";

    /// <summary>The free nodes' sizes sum to the recorded free byte count, and free plus live bytes equal the heap bytes.</summary>
    public const string Conserved = "FL-CONSERVE";

    /// <summary>The free list ends within heap / NODE nodes: it is not cyclic.</summary>
    public const string Acyclic = "FL-ACYCLIC";

    /// <summary>In checked mode, every live allocation lies inside the heap, is aligned as requested, and overlaps no other live allocation and no free node.</summary>
    public const string Live = "FL-LIVE";

    /// <summary>Every free node larger than NODE holds its boundary tag (a mix of its offset and size) in its last word.</summary>
    public const string Tagged = "FL-TAG";
}
