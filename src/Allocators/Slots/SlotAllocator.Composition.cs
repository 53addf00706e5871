using Veralloc.Allocators.Concurrency;
using Veralloc.Invariants;

namespace Veralloc.Allocators.Slots;

/// <summary>
/// What <see cref="ShardedSlotAllocator"/> needs to compose pools into shards: the lock each pool owns, and the bodies
/// of the operations for a caller that already holds it. Internal, so the public contract (every member takes the lock
/// itself) is unchanged.
/// </summary>
/// <remarks>
/// The sharded allocator holds several shards' locks at once only on its slow paths (exhaustion, batch free, snapshots
/// of the totals), always taking them in increasing shard order, so no two callers can wait on each other. Members
/// whose names end in <c>Held</c> must be called with <see cref="LockSeam"/> held: they are exactly the code the public
/// members run between <c>Enter</c> and <c>Exit</c>, so a composed operation behaves as the same sequence of
/// single-pool operations would, only without another thread able to run between them.
/// </remarks>
public sealed partial class SlotAllocator
{
    /// <summary>The lock this pool owns.</summary>
    internal IAllocatorLock LockSeam => _lock;

    /// <summary>The number of Used slots. Requires <see cref="LockSeam"/> held.</summary>
    internal int UsedCountHeld => _used;

    /// <summary><see cref="EmptySlotCount"/>'s value. Requires <see cref="LockSeam"/> held.</summary>
    internal int EmptySlotCountHeld => (_capacity - _lastCold) + _unusedWarm;

    /// <summary><see cref="UnusedWarmCount"/>'s value. Requires <see cref="LockSeam"/> held.</summary>
    internal int UnusedWarmCountHeld => _unusedWarm;

    /// <summary><see cref="UnusedBytesResident"/>'s value. Requires <see cref="LockSeam"/> held.</summary>
    internal long UnusedBytesResidentHeld => _unusedBytesResident;

    /// <summary>The state of <paramref name="slotId"/> (in range). Requires <see cref="LockSeam"/> held.</summary>
    internal SlotKind KindHeld(int slotId) => _kind[slotId];

    /// <summary><see cref="TryAllocate"/>'s body: the slot, or -1. Requires <see cref="LockSeam"/> held.</summary>
    internal int AllocateHeld(SlotAffinity? affinity) => AllocateLocked(affinity);

    /// <summary><see cref="TryAllocateAffineAndClear"/>'s body: the slot, or -1. Requires <see cref="LockSeam"/> held.</summary>
    internal int AllocateAffineAndClearHeld(SlotAffinity affinity) => AllocateAffineAndClearLocked(affinity);

    /// <summary>
    /// <see cref="Free"/>'s body for a slot id already checked to be in range and a non-negative byte count: frees it, or
    /// says why not and changes nothing. Requires <see cref="LockSeam"/> held.
    /// </summary>
    internal FreeRejection FreeHeld(int slotId, long bytesResident, out SlotKind foundKind, out long totalBefore) =>
        FreeLocked(slotId, bytesResident, out foundKind, out totalBefore);

    /// <summary><see cref="CheckInvariants"/>'s body: the first violation, or null. Requires <see cref="LockSeam"/> held.</summary>
    internal InvariantViolation? FindViolationHeld() => FindViolationLocked();

    /// <summary>
    /// <see cref="Free"/> for a slot id already checked to be in range and a non-negative byte count, returning the
    /// rejection instead of throwing it, so a composing caller can throw it with the slot id its own caller knows.
    /// Takes the lock.
    /// </summary>
    internal FreeRejection TryFreeValidated(int slotId, long bytesResident, out SlotKind foundKind, out long totalBefore)
    {
        _lock.Enter();
        try
        {
            return FreeLocked(slotId, bytesResident, out foundKind, out totalBefore);
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary><see cref="CheckInvariants"/> returning the first violation, or null, instead of throwing it. Takes the lock.</summary>
    internal InvariantViolation? FindViolation()
    {
        _lock.Enter();
        try
        {
            return FindViolationLocked();
        }
        finally
        {
            _lock.Exit();
        }
    }
}
