using Veralloc.Allocators.Slots;
using Veralloc.Scenarios.Slots;
using Veralloc.CoyoteLane;
using Veralloc.Systematic.Linearizability;

namespace Veralloc.CoyoteLane.Slots;

/// <summary>
/// One iteration's pool on a <see cref="CheckedPoolLock"/>, and the table of which worker owns which slot, checked at
/// every hand-out and at the end.
/// </summary>
/// <remarks>
/// Checks, each a Coyote bug when it fails: SLOT-* invariants at every lock boundary (the lock seam); a slot handed
/// out is owned by nobody; a worker frees only a slot it owns; at the end, conservation (a slot is Used exactly when
/// some worker owns it, and the empty-slot count is capacity minus the slots owned) and the invariants once more.
/// After <see cref="CheckLinearizable"/>, every call also goes into a history (the engine's <see cref="History{TOperation, TResult}"/>,
/// under the worker's name), checked at the end against <see cref="SlotModel"/> with the same checker the engine uses.
/// Workers touch the table only between pool calls, and Coyote runs one of them at a time.
/// </remarks>
public sealed class CoyoteSlotHarness
{
    private readonly CoyoteIteration _iteration;
    private readonly SlotOwnership _owners;
    private readonly List<SlotOperation> _finalQueries = [];
    private SlotSequentialModel? _model;
    private History<SlotOperation, SlotResult>? _history;

    // Who calls when no worker does: the test body before the workers start, then after they end.
    private string _outsideWorkers = "setup";

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

    /// <summary>
    /// From now on records every call (setup calls first) and, in <see cref="CheckAtEnd"/>, checks that the history is
    /// linearizable against <see cref="SlotModel"/>. Errors the pool reports become results. Call it before <see cref="SetupAllocate"/>.
    /// </summary>
    /// <param name="maxUnusedWarm">The pool's warm threshold, which the model needs.</param>
    /// <exception cref="InvalidOperationException">The history is already being recorded.</exception>
    public void CheckLinearizable(int maxUnusedWarm)
    {
        if (_history is not null)
        {
            throw new InvalidOperationException("This harness already records a history; one check per iteration.");
        }

        _model = new SlotSequentialModel(Pool.Capacity, maxUnusedWarm);
        _history = new History<SlotOperation, SlotResult>();
    }

    /// <summary>A query, recorded when the history is.</summary>
    public SlotResult Query(SlotOperation query)
    {
        ArgumentNullException.ThrowIfNull(query);
        SlotResult result = Perform(query);
        _iteration.Step($"{query} = {result}");
        return result;
    }

    /// <summary>Queries <see cref="CheckAtEnd"/> makes after the workers, as the history's last calls (needs <see cref="CheckLinearizable"/>).</summary>
    /// <exception cref="InvalidOperationException">No history is recorded.</exception>
    public void QueryAtEnd(params SlotOperation[] queries)
    {
        if (_history is null)
        {
            throw new InvalidOperationException("Final queries belong to a history: call CheckLinearizable first.");
        }

        _finalQueries.AddRange(queries);
    }

    /// <summary>Allocates for <paramref name="worker"/>; null when the pool is full.</summary>
    public int? Allocate(int worker, SlotAffinity? key)
    {
        int? slot = Perform(SlotOperation.Allocate(key)).SlotId;
        _iteration.Step(key is null ? $"alloc -> {Show(slot)}" : $"alloc m{key.Value.ModuleId} -> {Show(slot)}");
        return slot is { } taken ? TakeOwnership(worker, taken) : null;
    }

    /// <summary>Takes the slot affine to <paramref name="key"/>, cleared, for <paramref name="worker"/>; null when none is.</summary>
    public int? AllocateAffineAndClear(int worker, SlotAffinity key)
    {
        int? slot = Perform(SlotOperation.AllocateAffineAndClear(key)).SlotId;
        _iteration.Step($"alloc-affine-clear m{key.ModuleId} -> {Show(slot)}");
        return slot is { } taken ? TakeOwnership(worker, taken) : null;
    }

    /// <summary>Gives back a slot <paramref name="worker"/> owns.</summary>
    public void Free(int worker, int slot, long bytesResident)
    {
        // Given up before the call: once Free releases the lock, another worker may be handed the slot.
        Require(_owners.GiveBack(worker, slot));
        _iteration.Step($"free {slot} ({bytesResident} B)");
        Perform(SlotOperation.Free(slot, bytesResident));
    }

    /// <summary>Allocates before the workers start; the scenario is malformed if that fails.</summary>
    public int SetupAllocate(int worker, SlotAffinity? key)
    {
        int slot = Perform(SlotOperation.Allocate(key)).SlotId
            ?? throw new InvalidOperationException($"setup could not allocate a slot for worker {worker}");
        return TakeOwnership(worker, slot);
    }

    /// <summary>
    /// After the workers: the invariants, conservation between the pool and the ownership table, and (after
    /// <see cref="CheckLinearizable"/>) the final queries and the linearizability of the history.
    /// </summary>
    public void CheckAtEnd()
    {
        Pool.CheckInvariants();
        Require(_owners.FindConservationViolation(Pool));
        if (_history is null || _model is null)
        {
            return;
        }

        _outsideWorkers = "after";
        foreach (SlotOperation query in _finalQueries)
        {
            Query(query);
        }

        LinearizabilityResult<SlotOperation, SlotResult> verdict = LinearizabilityChecker.Check(_model, _history);
        if (!verdict.IsLinearizable)
        {
            _iteration.Fail($"the history of 'linearizable against the slot model' is {verdict.Format()}");
        }
    }

    // Recorded, with reported errors as results, when the history is checked; otherwise errors propagate as before.
    private SlotResult Perform(SlotOperation operation) =>
        _history is { } history ? history.Call(CoyoteIteration.CurrentWorker ?? _outsideWorkers, operation, () => operation.RunOn(Pool)) : operation.Invoke(Pool);

    private int TakeOwnership(int worker, int slot)
    {
        Require(_owners.Take(worker, slot));
        return slot;
    }

    private void Require(string? violation) => _iteration.Require(violation is null, violation ?? string.Empty);

    private static string Show(int? slot) => slot is { } taken ? $"slot {taken}" : "none";
}
