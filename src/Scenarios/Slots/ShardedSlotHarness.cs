using Veralloc.Allocators.Slots;
using Veralloc.Systematic;
using Veralloc.Systematic.Allocators;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// One iteration's sharded pool, each shard behind a controlled lock of its own, plus the ownership table the logical
/// threads update as they are handed slots and give them back.
/// </summary>
/// <remarks>
/// Checks: each shard's SLOT-* invariants at every scheduling point where that shard's lock is free (other shards may
/// be mid-operation); each shard's state as guarded state of its lock (a change with the lock free is a data race,
/// which partial-order reduction must not meet); "no slot owned twice" at every hand-out and "only the owner frees"
/// at every free; at quiescence,
/// every invariant with every lock held (SLOT-SHARD-CONSERVE included) and conservation: a slot is Used exactly when
/// some thread owns it, and the empty-slot count is capacity minus the slots owned.
/// </remarks>
public sealed class ShardedSlotHarness
{
    private readonly SlotOwnership _owners;

    /// <summary>Creates the pool through <paramref name="factory"/>, one controlled lock per shard, and registers the checks.</summary>
    /// <param name="ctx">The iteration.</param>
    /// <param name="factory">Builds the pool.</param>
    /// <param name="capacity">Slots over all shards.</param>
    /// <param name="shardCount">Shards.</param>
    /// <param name="maxUnusedWarm">The pool's warm threshold.</param>
    public ShardedSlotHarness(SystematicContext ctx, ShardedSlotPoolFactory factory, int capacity, int shardCount, int maxUnusedWarm)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(factory);
        var locks = new ControlledLock[shardCount];
        for (var shard = 0; shard < shardCount; shard++)
        {
            locks[shard] = ctx.CreateLock($"shard{shard}");
        }

        Pool = factory(shard => new ControlledAllocatorLock(locks[shard]), capacity, shardCount, maxUnusedWarm);
        _owners = new SlotOwnership(capacity, "thread");
        for (var shard = 0; shard < shardCount; shard++)
        {
            var mine = shard;
            ctx.AddInvariant($"shard{mine}.CheckInvariants", () => Pool.CheckShardInvariants(mine), onlyWhenFree: locks[mine]);
            ctx.AddGuardedState($"shard{mine}", locks[mine], () => Fingerprint(Pool, mine));
        }

        ctx.AtQuiescence("pool.CheckInvariants: every shard and SLOT-SHARD-CONSERVE", Pool.CheckInvariants);
        ctx.AtQuiescence("conservation: Used exactly when owned", CheckConservation);
    }

    /// <summary>The pool under test.</summary>
    public IShardedSlotPool Pool { get; }

    /// <summary>The number of slots owned now.</summary>
    public int OwnedCount => _owners.OwnedCount;

    /// <summary>Allocates from <paramref name="home"/> for <paramref name="thread"/> and records the ownership; null when the pool is full.</summary>
    public int? Allocate(int thread, int home, SlotAffinity? key)
    {
        Scheduler.Describe(key is null ? $"alloc home {home}" : $"alloc home {home} m{key.Value.ModuleId}");
        return Pool.TryAllocate(home, key, out var slot) ? _owners.Claim(thread, slot) : null;
    }

    /// <summary>Gives back a slot <paramref name="thread"/> owns.</summary>
    public void Free(int thread, int slot, long bytesResident)
    {
        Scheduler.Describe($"free {slot}");

        // Given back before the call: once Free releases the lock another thread may be handed the slot.
        _owners.Release(thread, slot);
        Pool.Free(slot, bytesResident);
    }

    /// <summary>Gives back, in one batch, slots <paramref name="thread"/> owns.</summary>
    public void FreeMany(int thread, int[] slots, long[] bytesResident)
    {
        ArgumentNullException.ThrowIfNull(slots);
        Scheduler.Describe($"free-many [{string.Join(", ", slots)}]");
        foreach (var slot in slots)
        {
            _owners.Release(thread, slot);
        }

        Pool.FreeMany(slots, bytesResident);
    }

    /// <summary>Allocates during setup, before the threads start; the scenario is malformed if that fails.</summary>
    public int SetupAllocate(int thread, int home, SlotAffinity? key)
    {
        if (!Pool.TryAllocate(home, key, out var slot))
        {
            throw new InvalidOperationException($"Setup could not allocate a slot from shard {home} for thread {thread}.");
        }

        return _owners.Claim(thread, slot);
    }

    /// <summary>A hash of <paramref name="shard"/>'s state (its slots and its warm list) that changes whenever the state does; takes that shard's lock only.</summary>
    public static long Fingerprint(IShardedSlotPool pool, int shard)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var hash = new SlotStateHash();
        foreach (var slot in pool.GetWarmList(shard))
        {
            hash.Add(slot);
        }

        for (var slot = 0; slot < pool.Capacity; slot++)
        {
            if (pool.GetShardOf(slot) == shard)
            {
                hash.Add(pool.GetSlotState(slot));
            }
        }

        return hash.Value;
    }

    private void CheckConservation() => EngineOwnership.ThrowIfViolated(_owners.FindConservationViolation(Pool));
}
