namespace Veralloc.Invariants.InvariantIds;

/// <summary>
/// Stable ids of the pooling slot allocator's invariants (spec/slots.md). Each constant's value is the id
/// reported by <c>SlotAllocator.CheckInvariants()</c>; its documentation is the one-sentence statement.
/// </summary>
public static class SlotInvariantIds
{
    /// <summary>
    /// The warm list and every affine list are consistent doubly linked lists: head is none iff tail is none,
    /// <c>prev[head]</c> and <c>next[tail]</c> are none, consecutive links agree both ways, and the walk from
    /// head reaches tail within capacity steps.
    /// </summary>
    public const string Links = "SLOT-LINKS";

    /// <summary>
    /// The warm list holds exactly the UnusedWarm slots, each once, and its length equals the
    /// <c>unusedWarm</c> counter.
    /// </summary>
    public const string Warm = "SLOT-WARM";

    /// <summary>
    /// Every UnusedWarm slot with key <c>k</c> is on <c>k</c>'s affine list exactly once; slots with no key,
    /// Used slots and UnusedCold slots are on no affine list; no affine list in the map is empty.
    /// </summary>
    public const string Affine = "SLOT-AFFINE";

    /// <summary>
    /// The <c>unusedBytesResident</c> counter equals the sum of the resident bytes of the UnusedWarm slots,
    /// and no slot's resident byte count is negative.
    /// </summary>
    public const string Bytes = "SLOT-BYTES";

    /// <summary>
    /// <c>0 &lt;= lastCold &lt;= capacity</c>; slots at or above <c>lastCold</c> are UnusedCold and slots below it
    /// are not.
    /// </summary>
    public const string Cold = "SLOT-COLD";

    /// <summary>
    /// Conservation: the Used-slot counter equals the number of Used slots, and
    /// used + unusedWarm + (capacity - lastCold) = capacity, with every slot in exactly one of the three states.
    /// </summary>
    public const string Conserve = "SLOT-CONSERVE";

    /// <summary>
    /// No slot id is handed out twice while it is Used. A property of runs rather than of one state: checked at
    /// hand-out time (the chosen slot must not be Used), implied by SLOT-COLD, SLOT-WARM and SLOT-AFFINE, and
    /// exercised by the real-thread stress test and the systematic engine.
    /// </summary>
    public const string Exclusive = "SLOT-EXCLUSIVE";

    /// <summary>
    /// Global conservation of the sharded pool: the shards partition the global ids <c>0..capacity-1</c> into
    /// consecutive ranges, one per shard, starting at 0, each exactly as long as its shard's capacity. With
    /// SLOT-CONSERVE in every shard this makes used + unusedWarm + cold, summed over the shards, equal the capacity,
    /// and lets no global id name two slots.
    /// </summary>
    public const string ShardConserve = "SLOT-SHARD-CONSERVE";
}
