using Veralloc.Allocators.Slots;
using Veralloc.Scenarios.Slots;

namespace Veralloc.CoyoteLane.Slots;

/// <summary>
/// One iteration's sharded pool, each shard on a <see cref="CheckedPoolLock"/> of its own that checks that shard's
/// SLOT-* invariants at its lock boundaries, and the table of which worker owns which slot.
/// </summary>
/// <remarks>
/// Checks, each a Coyote bug when it fails: a shard's invariants whenever its lock is taken or about to be released; a
/// slot handed out is owned by nobody; a worker frees only a slot it owns; at the end, every invariant with every lock
/// held (SLOT-SHARD-CONSERVE included) and conservation between the pool and the table. Workers touch the table only
/// between pool calls, and Coyote runs one of them at a time.
/// </remarks>
public sealed class CoyoteShardedSlotHarness
{
    private readonly CoyoteIteration _iteration;
    private readonly SlotOwnership _owners;

    /// <summary>Builds the pool through <paramref name="factory"/>, one fresh checked monitor lock per shard.</summary>
    public CoyoteShardedSlotHarness(CoyoteIteration iteration, ShardedSlotPoolFactory factory, int capacity, int shardCount, int maxUnusedWarm, bool releaseIsSchedulingPoint = true)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _iteration = iteration ?? throw new ArgumentNullException(nameof(iteration));
        var seams = new CheckedPoolLock[shardCount];
        for (int shard = 0; shard < shardCount; shard++)
        {
            seams[shard] = new CheckedPoolLock(iteration, releaseIsSchedulingPoint);
        }

        Pool = factory(shard => seams[shard], capacity, shardCount, maxUnusedWarm);
        for (int shard = 0; shard < shardCount; shard++)
        {
            int mine = shard;
            seams[mine].Attach(() => Pool.CheckShardInvariants(mine));
        }

        _owners = new SlotOwnership(capacity, "worker");
    }

    /// <summary>The pool under test.</summary>
    public IShardedSlotPool Pool { get; }

    /// <summary>The number of slots some worker owns.</summary>
    public int OwnedCount => _owners.OwnedCount;

    /// <summary>Allocates from <paramref name="home"/> for <paramref name="worker"/>; null when the pool is full.</summary>
    public int? Allocate(int worker, int home, SlotAffinity? key)
    {
        bool got = Pool.TryAllocate(home, key, out int slot);
        _iteration.Step($"alloc home {home}{(key is null ? string.Empty : $" m{key.Value.ModuleId}")} -> {(got ? $"slot {slot}" : "none")}");
        return got ? TakeOwnership(worker, slot) : null;
    }

    /// <summary>Gives back a slot <paramref name="worker"/> owns.</summary>
    public void Free(int worker, int slot, long bytesResident)
    {
        // Given up before the call: once Free releases the lock, another worker may be handed the slot.
        Require(_owners.GiveBack(worker, slot));
        _iteration.Step($"free {slot} ({bytesResident} B)");
        Pool.Free(slot, bytesResident);
    }

    /// <summary>Gives back, in one batch, slots <paramref name="worker"/> owns.</summary>
    public void FreeMany(int worker, int[] slots, long[] bytesResident)
    {
        ArgumentNullException.ThrowIfNull(slots);
        foreach (int slot in slots)
        {
            Require(_owners.GiveBack(worker, slot));
        }

        _iteration.Step($"free-many [{string.Join(", ", slots)}]");
        Pool.FreeMany(slots, bytesResident);
    }

    /// <summary>Allocates before the workers start; the scenario is malformed if that fails.</summary>
    public int SetupAllocate(int worker, int home, SlotAffinity? key)
    {
        if (!Pool.TryAllocate(home, key, out int slot))
        {
            throw new InvalidOperationException($"setup could not allocate a slot from shard {home} for worker {worker}");
        }

        return TakeOwnership(worker, slot);
    }

    /// <summary>After the workers: every invariant, and conservation between the pool and the ownership table.</summary>
    public void CheckAtEnd()
    {
        Pool.CheckInvariants();
        Require(_owners.FindConservationViolation(Pool));
    }

    private int TakeOwnership(int worker, int slot)
    {
        Require(_owners.Take(worker, slot));
        return slot;
    }

    private void Require(string? violation) => _iteration.Require(violation is null, violation ?? string.Empty);
}
