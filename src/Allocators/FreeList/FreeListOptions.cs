namespace Veralloc.Allocators.FreeList;

/// <summary>Options of a <see cref="FreeListAllocator"/>.</summary>
public sealed record FreeListOptions
{
    /// <summary>
    /// When true, the allocator keeps a side table of live allocations (offset to size, alignment and
    /// rounded size) so that <see cref="FreeListAllocator.Free"/> rejects offsets that were never
    /// allocated and sizes or alignments that disagree with the allocation, and
    /// <see cref="FreeListAllocator.CheckInvariants"/> also checks the live allocations (FL-LIVE) and
    /// conservation against the table. Costs a dictionary operation per call; meant for tests and debugging.
    /// </summary>
    public bool CheckedMode { get; init; }

    /// <summary>
    /// The fit policy at offset 0. SEED-SEMANTICS §1 skips a block when <c>full &gt;= end</c>: in the
    /// reference that only guards <c>end - full</c> against unsigned underflow, because its heap never
    /// starts at address 0; with offsets from 0 it also skips a block <c>[0, full)</c> that fits exactly.
    /// False (the default) keeps §1's observable behaviour, including that skip. True uses the block
    /// (the guard becomes <c>full &gt; end</c>), so a grow-and-retry never fails.
    /// </summary>
    public bool ExactFitAtHeapBase { get; init; }
}

/// <summary>One live allocation as recorded by a checked-mode <see cref="FreeListAllocator"/>.</summary>
/// <param name="Size">The size passed to <see cref="FreeListAllocator.TryAllocate"/>.</param>
/// <param name="Alignment">The alignment passed to <see cref="FreeListAllocator.TryAllocate"/>.</param>
/// <param name="RoundedSize">The bytes actually taken: <c>roundUp(max(Size, NODE), NODE)</c>.</param>
internal readonly record struct LiveAllocation(long Size, long Alignment, long RoundedSize);
