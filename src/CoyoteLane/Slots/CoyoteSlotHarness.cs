using Veralloc.Allocators.Slots;
using Veralloc.Scenarios.Slots;
using Veralloc.CoyoteLane;

namespace Veralloc.CoyoteLane.Slots;

/// <summary>
/// One iteration's pool on a <see cref="CheckedPoolLock"/>, and the table of which worker owns which slot, checked at
/// every hand-out and at the end.
/// </summary>
/// <remarks>
/// Checks, each a Coyote bug when it fails: SLOT-* invariants at every lock boundary (the lock seam); a slot handed
/// out is owned by nobody; a worker frees only a slot it owns; at the end, conservation (a slot is Used exactly when
/// some worker owns it, and the empty-slot count is capacity minus the slots owned) and the invariants once more.
/// Workers touch the table only between pool calls, and Coyote runs one of them at a time.
/// </remarks>
public sealed class CoyoteSlotHarness
{
    private readonly CoyoteIteration _iteration;
    private readonly SlotOwnership _owners;

    /// <summary>Builds the pool through <paramref name="factory"/> on a fresh checked monitor lock.</summary>
    public CoyoteSlotHarness(CoyoteIteration iteration, SlotPoolFactory factory, int capacity, int maxUnusedWarm, bool releaseIsSchedulingPoint = true)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _iteration = iteration ?? throw new ArgumentNullException(nameof(iteration));
        var seam = new CheckedPoolLock(iteration, releaseIsSchedulingPoint);
        Pool = factory(seam, capacity, maxUnusedWarm);
        seam.Attach(Pool);
        _owners = new SlotOwnership(capacity, "worker");
    }

    /// <summary>The pool under test.</summary>
    public ISlotPool Pool { get; }

    /// <summary>The number of slots some worker owns.</summary>
    public int OwnedCount => _owners.OwnedCount;

    /// <summary>Allocates for <paramref name="worker"/>; null when the pool is full.</summary>
    public int? Allocate(int worker, SlotAffinity? key)
    {
        bool got = Pool.TryAllocate(key, out int slot);
        _iteration.Step(key is null ? $"alloc -> {Show(got, slot)}" : $"alloc m{key.Value.ModuleId} -> {Show(got, slot)}");
        return got ? TakeOwnership(worker, slot) : null;
    }

    /// <summary>Takes the slot affine to <paramref name="key"/>, cleared, for <paramref name="worker"/>; null when none is.</summary>
    public int? AllocateAffineAndClear(int worker, SlotAffinity key)
    {
        bool got = Pool.TryAllocateAffineAndClear(key, out int slot);
        _iteration.Step($"alloc-affine-clear m{key.ModuleId} -> {Show(got, slot)}");
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

    /// <summary>Allocates before the workers start; the scenario is malformed if that fails.</summary>
    public int SetupAllocate(int worker, SlotAffinity? key)
    {
        if (!Pool.TryAllocate(key, out int slot))
        {
            throw new InvalidOperationException($"setup could not allocate a slot for worker {worker}");
        }

        return TakeOwnership(worker, slot);
    }

    /// <summary>After the workers: the invariants, and conservation between the pool and the ownership table.</summary>
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

    private static string Show(bool got, int slot) => got ? $"slot {slot}" : "none";
}
