using Veralloc.Scenarios.Slots;

namespace Veralloc.Scenarios.Mutants;

/// <summary>
/// The mutant gallery: each <see cref="SlotMutation"/> paired with a slot scenario shape whose interleavings expose it.
/// Finding a bug is the expected outcome; the faithful copy (<see cref="SlotMutation.None"/>) passes the same shapes.
/// </summary>
public static class MutantScenarios
{
    /// <summary>Every mutant with the scenario that exposes it.</summary>
    public static IReadOnlyList<SystematicScenario> All { get; } =
    [
        Mutant(SlotMutation.CheckThenActSplit, "check-then-act", "two threads choose the same cold slot in one critical section and both take it in the next", Shape.AllocFree2),
        Mutant(SlotMutation.CounterOutsideLock, "counter-outside-lock", "two frees read the warm counter before locking: one increment is lost", Shape.AllocFree2),
        Mutant(SlotMutation.LostUpdateResidentBytes, "lost-resident-bytes", "two frees read the resident total, let go of the lock, then both write: one free's bytes are lost", Shape.AllocFree2),
        Mutant(SlotMutation.UnlinkInTwoSections, "unlink-two-sections", "an affine re-alloc unlinks the warm list and the affine list in separate critical sections", Shape.Keyed2),
        Mutant(SlotMutation.LockReleasedEarly, "lock-released-early", "the cold path releases the lock before advancing the cold cursor: another thread takes the same slot", Shape.AllocFree2),
    ];

    /// <summary>The same shapes on the faithful copy: must pass, which shows each mutant's failure is its bug's.</summary>
    public static IReadOnlyList<SystematicScenario> FaithfulCopy { get; } =
    [
        new("mutant/none/alloc-free-2x3", "the faithful copy on the shape the mutants use", Build(SlotMutation.None, Shape.AllocFree2)),
        new("mutant/none/alloc-free-keyed-2x3", "the faithful copy on the keyed shape", Build(SlotMutation.None, Shape.Keyed2)),
        new("mutant/none/affine-clear-vs-free", "the faithful copy: affine-and-clear racing free", SlotScenarios.AffineClearVsFree(MutantSlotPool.Factory(SlotMutation.None))),
        new("mutant/none/threshold-edge", "the faithful copy around the threshold", SlotScenarios.ThresholdEdge(MutantSlotPool.Factory(SlotMutation.None))),
    ];

    /// <summary>
    /// The linearizability gallery: every mutant on <see cref="SlotScenarios.SameKeyHistory"/>, where only the calls'
    /// results are checked (against <see cref="SlotModel"/>), so each must be reported as
    /// <see cref="Veralloc.Systematic.BugKind.NotLinearizable"/>; and, expecting no bug, the same shape on the faithful
    /// copy and on the real allocator.
    /// </summary>
    public static IReadOnlyList<SystematicScenario> Histories { get; } =
    [
        History(SlotMutation.CheckThenActSplit, "check-then-act", "both workers are handed the same cold slot"),
        History(SlotMutation.CounterOutsideLock, "counter-outside-lock", "a lost warm-counter increment shows in the final EmptySlotCount"),
        History(SlotMutation.LostUpdateResidentBytes, "lost-resident-bytes", "a lost resident-bytes update shows in the final UnusedBytesResident"),
        History(SlotMutation.UnlinkInTwoSections, "unlink-two-sections", "between the two unlinks the other worker takes the same warm slot from the affine list"),
        History(SlotMutation.LockReleasedEarly, "lock-released-early", "both workers are handed the same cold slot"),
        new("mutant/none/same-key-history", "the faithful copy on the history shape: linearizable", SlotScenarios.SameKeyHistory(MutantSlotPool.Factory(SlotMutation.None))),
        new("slots/same-key-history", "2 threads with key m1 alloc, free, alloc on a pool of 2 (threshold 2), then the counters are read: linearizable against the slot model", SlotScenarios.SameKeyHistory(SlotScenarios.Real)),
    ];

    private enum Shape
    {
        AllocFree2,
        Keyed2,
    }

    private static SystematicScenario Mutant(SlotMutation mutation, string name, string description, Shape shape) =>
        new($"mutant/{name}", description, Build(mutation, shape), ExpectsBug: true);

    private static SystematicScenario History(SlotMutation mutation, string name, string visibleAs) =>
        new($"mutant/{name}/history", $"results only, two workers with one key: {visibleAs}", SlotScenarios.SameKeyHistory(MutantSlotPool.Factory(mutation)), ExpectsBug: true);

    private static Action<Veralloc.Systematic.SystematicContext> Build(SlotMutation mutation, Shape shape) => shape switch
    {
        Shape.AllocFree2 => SlotScenarios.AllocFreeAlloc(MutantSlotPool.Factory(mutation), threads: 2, keyed: false, capacity: 2, threshold: 0),
        _ => SlotScenarios.AllocFreeAlloc(MutantSlotPool.Factory(mutation), threads: 2, keyed: true, capacity: 2, threshold: 2),
    };
}
