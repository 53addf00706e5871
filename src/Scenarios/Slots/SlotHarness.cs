using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;
using Veralloc.Systematic;
using Veralloc.Systematic.Allocators;
using Veralloc.Systematic.Linearizability;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// One iteration's pool behind a controlled lock, plus an ownership table that the logical threads update as they
/// are handed slots and give them back, and the checks every slot scenario shares.
/// </summary>
/// <remarks>
/// Checks: the pool's own <c>CheckInvariants</c> at every scheduling point where the pool's lock is free; "no slot
/// owned twice" when a slot is handed out; and at quiescence, conservation: a slot is Used exactly when some thread
/// owns it, and the empty-slot count is capacity minus the slots owned. After <see cref="CheckLinearizable"/>, every
/// call also goes into a history checked at quiescence against <see cref="SlotModel"/>.
/// </remarks>
public sealed class SlotHarness
{
    private readonly SystematicContext _ctx;
    private readonly SlotOwnership _owners;

    /// <summary>Creates the pool (through <paramref name="createPool"/>) and registers the shared checks.</summary>
    /// <param name="ctx">The iteration.</param>
    /// <param name="capacity">The pool's capacity.</param>
    /// <param name="createPool">Builds the pool on the given lock seam.</param>
    public SlotHarness(SystematicContext ctx, int capacity, Func<IAllocatorLock, ISlotPool> createPool)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(createPool);
        _ctx = ctx;
        Lock = ctx.CreateLock("pool");
        Pool = createPool(new ControlledAllocatorLock(Lock));
        _owners = new SlotOwnership(capacity, "thread");
        ctx.AddInvariant("pool.CheckInvariants", Pool.CheckInvariants, onlyWhenFree: Lock);
        ctx.AddGuardedState("pool", Lock, () => Fingerprint(Pool));
        ctx.AtQuiescence("conservation: Used exactly when owned", CheckConservation);
    }

    /// <summary>The controlled lock the pool owns.</summary>
    public ControlledLock Lock { get; }

    /// <summary>The pool under test.</summary>
    public ISlotPool Pool { get; }

    /// <summary>The number of slots owned now.</summary>
    public int OwnedCount => _owners.OwnedCount;

    /// <summary>The linearizability check every call goes through, once <see cref="CheckLinearizable"/> has made it; else null.</summary>
    public LinearizabilityCheck<SlotModel, SlotOperation, SlotResult>? History { get; private set; }

    /// <summary>
    /// From now on records every call (setup calls first) and checks at quiescence that the history is linearizable
    /// against <see cref="SlotModel"/>, instead of listing the allowed outcomes by hand. Errors the pool reports become
    /// results, which the model must agree with. Call it during setup, before <see cref="SetupAllocate"/>.
    /// </summary>
    /// <param name="maxUnusedWarm">The pool's warm threshold, which the model needs.</param>
    /// <exception cref="InvalidOperationException">The history is already being recorded.</exception>
    public void CheckLinearizable(int maxUnusedWarm)
    {
        if (History is not null)
        {
            throw new InvalidOperationException("This harness already records a history; one check per iteration.");
        }

        History = _ctx.Linearizable(new SlotSequentialModel(Pool.Capacity, maxUnusedWarm), "linearizable against the slot model");
    }

    /// <summary>A query (<see cref="SlotOperation.EmptySlotCount"/>, <see cref="SlotOperation.WarmList"/>, ...), recorded when the history is.</summary>
    public SlotResult Query(SlotOperation query)
    {
        ArgumentNullException.ThrowIfNull(query);
        Scheduler.Describe($"query {query}");
        return Perform(query);
    }

    /// <summary>Reads <paramref name="queries"/> once every thread has ended, as the history's last calls (needs <see cref="CheckLinearizable"/>).</summary>
    /// <exception cref="InvalidOperationException">No history is recorded.</exception>
    public void QueryAfterThreads(params SlotOperation[] queries)
    {
        var history = History ?? throw new InvalidOperationException("Final queries belong to a history: call CheckLinearizable first.");
        history.AfterThreads(() =>
        {
            foreach (var query in queries)
            {
                Query(query);
            }
        });
    }

    /// <summary>Allocates for <paramref name="thread"/> and records the ownership; null when the pool is full.</summary>
    public int? Allocate(int thread, SlotAffinity? key)
    {
        Scheduler.Describe(key is null ? "alloc" : $"alloc m{key.Value.ModuleId}");
        return Perform(SlotOperation.Allocate(key)).SlotId is { } slot ? _owners.Claim(thread, slot) : null;
    }

    /// <summary>Takes an affine slot and clears it for <paramref name="thread"/>; null when none is affine.</summary>
    public int? AllocateAffineAndClear(int thread, SlotAffinity key)
    {
        Scheduler.Describe($"alloc-affine-clear m{key.ModuleId}");
        return Perform(SlotOperation.AllocateAffineAndClear(key)).SlotId is { } slot ? _owners.Claim(thread, slot) : null;
    }

    /// <summary>Gives back a slot <paramref name="thread"/> owns.</summary>
    public void Free(int thread, int slot, long bytesResident)
    {
        Scheduler.Describe($"free {slot}");

        // Given back before the call: once Free releases the lock another thread may be handed the slot.
        _owners.Release(thread, slot);
        Perform(SlotOperation.Free(slot, bytesResident));
    }

    /// <summary>Records an ownership taken during setup, before the threads start.</summary>
    public int SetupAllocate(int thread, SlotAffinity? key)
    {
        var slot = Perform(SlotOperation.Allocate(key)).SlotId
            ?? throw new InvalidOperationException($"Setup could not allocate a slot for thread {thread}.");
        return _owners.Claim(thread, slot);
    }

    // Recorded and with reported errors as results when the history is checked; otherwise errors propagate as before.
    private SlotResult Perform(SlotOperation operation) =>
        History is { } history ? history.Call(operation, () => operation.RunOn(Pool)) : operation.Invoke(Pool);

    private void CheckConservation() => EngineOwnership.ThrowIfViolated(_owners.FindConservationViolation(Pool));

    /// <summary>
    /// Everything the pool lets a caller observe, hashed: changes exactly when the pool's state does, so a change with
    /// the lock free is a change made outside the lock.
    /// </summary>
    /// <param name="pool">The pool (its lock free).</param>
    /// <returns>An FNV-1a hash of the counters, the warm list and every slot's state.</returns>
    public static long Fingerprint(ISlotPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var hash = new SlotStateHash();
        hash.Add(pool.EmptySlotCount);
        hash.Add(pool.UnusedBytesResident);
        foreach (var slot in pool.GetWarmList())
        {
            hash.Add(slot);
        }

        for (var slot = 0; slot < pool.Capacity; slot++)
        {
            hash.Add(pool.GetSlotState(slot));
        }

        return hash.Value;
    }
}
