using Veralloc.Allocators.Slots;
using Veralloc.Scenarios.Mutants;
using Veralloc.Scenarios.Slots;
using Veralloc.CoyoteLane;

namespace Veralloc.CoyoteLane.Slots;

/// <summary>
/// The engine's slot scenarios (src/Scenarios/Slots/SlotScenarios.cs) and mutant gallery
/// (src/Scenarios/Mutants/MutantScenarios.cs), re-expressed for Coyote: the same shapes, names, pools and checks,
/// with workers as <see cref="Task.Run(Action)"/> tasks instead of the engine's logical threads.
/// </summary>
public static class CoyoteSlotScenarios
{
    /// <summary>The scenarios on the production <see cref="SlotAllocator"/>; each must pass.</summary>
    public static IReadOnlyList<CoyoteScenario> Correct { get; } = Build(SlotScenarios.Real, releaseIsSchedulingPoint: true);

    /// <summary>Every gallery mutant on the shape that exposes it; each must be found.</summary>
    public static IReadOnlyList<CoyoteScenario> Mutants { get; } = MutantsOn(releaseIsSchedulingPoint: true);

    /// <summary>The gallery with Coyote's own lock model: no scheduling point when a lock is released.</summary>
    public static IReadOnlyList<CoyoteScenario> MutantsWithoutReleasePoints { get; } = MutantsOn(releaseIsSchedulingPoint: false);

    /// <summary>The faithful copy (<see cref="SlotMutation.None"/>) on the mutants' shapes; must pass.</summary>
    public static IReadOnlyList<CoyoteScenario> FaithfulCopy { get; } =
    [
        new("mutant/none/alloc-free-2x3", "the faithful copy on the shape the mutants use", Shape(SlotMutation.None, keyed: false, release: true)),
        new("mutant/none/alloc-free-keyed-2x3", "the faithful copy on the keyed shape", Shape(SlotMutation.None, keyed: true, release: true)),
        new("mutant/none/affine-clear-vs-free", "the faithful copy: affine-and-clear racing free", AffineClearVsFree(MutantSlotPool.Factory(SlotMutation.None), true)),
        new("mutant/none/threshold-edge", "the faithful copy around the threshold", ThresholdEdge(MutantSlotPool.Factory(SlotMutation.None), true)),
    ];

    /// <summary>The seven scenario shapes on <paramref name="factory"/>, named as the engine names them.</summary>
    public static IReadOnlyList<CoyoteScenario> Build(SlotPoolFactory factory, bool releaseIsSchedulingPoint) =>
    [
        new("slots/alloc-free-2x3", "2 workers each alloc, free, alloc on a simple pool of 2", AllocFreeAlloc(factory, 2, keyed: false, capacity: 2, threshold: 0, releaseIsSchedulingPoint)),
        new("slots/alloc-free-keyed-2x3", "2 workers with keys m1, m2 alloc, free, alloc on a pool of 2 (threshold 2)", AllocFreeAlloc(factory, 2, keyed: true, capacity: 2, threshold: 2, releaseIsSchedulingPoint)),
        new("slots/alloc-free-keyed-3x3", "3 workers with keys m1, m2, m1 alloc, free, alloc on a pool of 3 (threshold 1)", AllocFreeAlloc(factory, 3, keyed: true, capacity: 3, threshold: 1, releaseIsSchedulingPoint)),
        new("slots/affine-clear-vs-free", "a keyed slot is freed while another worker takes it with alloc-affine-and-clear", AffineClearVsFree(factory, releaseIsSchedulingPoint)),
        new("slots/queries-vs-mutation", "one worker allocs, frees and re-allocs while another reads counters and the warm list", QueriesVsMutation(factory, releaseIsSchedulingPoint)),
        new("slots/threshold-edge", "2 keyed workers cycle around a warm threshold of 1 on a pool of 3", ThresholdEdge(factory, releaseIsSchedulingPoint)),
        new("slots/exhaustion", "3 workers each take a slot from a pool of 2: exactly two succeed", Exhaustion(factory, releaseIsSchedulingPoint)),
    ];

    /// <summary>Each worker allocs, frees (with a distinct resident byte count) and allocs again; every alloc must succeed.</summary>
    public static Func<CoyoteIteration, Task> AllocFreeAlloc(SlotPoolFactory factory, int workers, bool keyed, int capacity, int threshold, bool releaseIsSchedulingPoint) => async iteration =>
    {
        var harness = new CoyoteSlotHarness(iteration, factory, capacity, threshold, releaseIsSchedulingPoint);
        var tasks = new Task[workers];
        for (int w = 0; w < workers; w++)
        {
            int me = w;
            SlotAffinity? key = keyed ? new SlotAffinity(1 + (me % 2), 0) : null;
            tasks[w] = iteration.Spawn($"worker{me}", () =>
            {
                int? first = harness.Allocate(me, key);
                iteration.Require(first is not null, $"worker{me}: first alloc failed although at most {workers} slots are ever held and capacity is {capacity}");
                harness.Free(me, first!.Value, 8L * (me + 1));
                int? second = harness.Allocate(me, key);
                iteration.Require(second is not null, $"worker{me}: second alloc failed although at most {workers} slots are ever held and capacity is {capacity}");
            });
        }

        await Task.WhenAll(tasks);
        harness.CheckAtEnd();
        iteration.Require(harness.OwnedCount == workers, $"each worker holds exactly one slot: {harness.OwnedCount} owned");
    };

    /// <summary>
    /// A keyed slot is freed while another worker takes it with alloc-affine-and-clear; afterwards the slot's state, the
    /// warm list and the resident bytes are read. As in the engine's scenario, the history must be linearizable against
    /// <see cref="SlotModel"/> (the same checker, fed by the harness).
    /// </summary>
    public static Func<CoyoteIteration, Task> AffineClearVsFree(SlotPoolFactory factory, bool releaseIsSchedulingPoint) => async iteration =>
    {
        var key = new SlotAffinity(7, 0);
        var harness = new CoyoteSlotHarness(iteration, factory, 2, 2, releaseIsSchedulingPoint);
        harness.CheckLinearizable(maxUnusedWarm: 2);
        int slot = harness.SetupAllocate(0, key);
        Task freer = iteration.Spawn("freer", () => harness.Free(0, slot, 64));
        Task clearer = iteration.Spawn("clearer", () => harness.AllocateAffineAndClear(1, key));
        harness.QueryAtEnd(SlotOperation.StateOf(slot), SlotOperation.WarmList, SlotOperation.UnusedBytesResident);
        await Task.WhenAll(Array(freer, clearer));
        harness.CheckAtEnd();
    };

    /// <summary>Queries race with alloc/free/alloc; the history must be linearizable against <see cref="SlotModel"/>.</summary>
    public static Func<CoyoteIteration, Task> QueriesVsMutation(SlotPoolFactory factory, bool releaseIsSchedulingPoint) => async iteration =>
    {
        var harness = new CoyoteSlotHarness(iteration, factory, 3, 1, releaseIsSchedulingPoint);
        harness.CheckLinearizable(maxUnusedWarm: 1);
        Task mutator = iteration.Spawn("mutator", () =>
        {
            // A failed first alloc is a result the model rejects; there is then nothing to free.
            if (harness.Allocate(0, new SlotAffinity(1, 0)) is { } first)
            {
                harness.Free(0, first, 8);
                harness.Allocate(0, new SlotAffinity(2, 0));
            }
        });
        Task observer = iteration.Spawn("observer", () =>
        {
            harness.Query(SlotOperation.EmptySlotCount);
            harness.Query(SlotOperation.WarmList);
            harness.Query(SlotOperation.UnusedBytesResident);
        });
        await Task.WhenAll(Array(mutator, observer));
        harness.CheckAtEnd();
    };

    /// <summary>Two keyed workers cycle alloc/free/alloc around a warm threshold of 1.</summary>
    public static Func<CoyoteIteration, Task> ThresholdEdge(SlotPoolFactory factory, bool releaseIsSchedulingPoint) => async iteration =>
    {
        var harness = new CoyoteSlotHarness(iteration, factory, 3, 1, releaseIsSchedulingPoint);
        var tasks = new Task[2];
        for (int w = 0; w < 2; w++)
        {
            int me = w;
            var key = new SlotAffinity(1 + me, 0);
            tasks[w] = iteration.Spawn($"cycler{me}", () =>
            {
                int? first = harness.Allocate(me, key);
                iteration.Require(first is not null, $"cycler{me}: first alloc failed");
                harness.Free(me, first!.Value, me + 1);
                int? again = harness.Allocate(me, key);
                iteration.Require(again is not null, $"cycler{me}: second alloc failed with at most 2 of 3 slots held");
            });
        }

        await Task.WhenAll(tasks);
        harness.CheckAtEnd();
        iteration.Require(harness.OwnedCount == 2, $"each cycler holds one slot: {harness.OwnedCount} owned");
    };

    /// <summary>Three workers compete for two slots.</summary>
    public static Func<CoyoteIteration, Task> Exhaustion(SlotPoolFactory factory, bool releaseIsSchedulingPoint) => async iteration =>
    {
        var harness = new CoyoteSlotHarness(iteration, factory, 2, 0, releaseIsSchedulingPoint);
        int successes = 0;
        var tasks = new Task[3];
        for (int w = 0; w < 3; w++)
        {
            int me = w;
            tasks[w] = iteration.Spawn($"taker{me}", () =>
            {
                if (harness.Allocate(me, new SlotAffinity(me, 0)) is not null)
                {
                    successes++;
                }
            });
        }

        await Task.WhenAll(tasks);
        harness.CheckAtEnd();
        iteration.Require(successes == 2 && harness.Pool.EmptySlotCount == 0, $"exactly two of three allocs succeed: {successes} did");
    };

    /// <summary>
    /// An array, so that <c>Task.WhenAll</c> binds to its <c>Task[]</c> overload: Coyote 1.7.11 intercepts that one but
    /// not the <c>params ReadOnlySpan&lt;Task&gt;</c> overload that C# 13 picks for <c>WhenAll(a, b)</c> on .NET 10, which
    /// it reports as uncontrolled (<c>CoyoteLaneTests.AnUninterceptedTaskApiFailsTheIterationInsteadOfPassing</c>).
    /// </summary>
    private static Task[] Array(params Task[] tasks) => tasks;

    private static IReadOnlyList<CoyoteScenario> MutantsOn(bool releaseIsSchedulingPoint) =>
    [
        Mutant(SlotMutation.CheckThenActSplit, "check-then-act", "two workers choose the same cold slot in one critical section and both take it in the next", keyed: false, releaseIsSchedulingPoint),
        Mutant(SlotMutation.CounterOutsideLock, "counter-outside-lock", "two frees read the warm counter before locking: one increment is lost", keyed: false, releaseIsSchedulingPoint),
        Mutant(SlotMutation.LostUpdateResidentBytes, "lost-resident-bytes", "two frees read the resident total, let go of the lock, then both write: one free's bytes are lost", keyed: false, releaseIsSchedulingPoint),
        Mutant(SlotMutation.UnlinkInTwoSections, "unlink-two-sections", "an affine re-alloc unlinks the warm list and the affine list in separate critical sections", keyed: true, releaseIsSchedulingPoint),
        Mutant(SlotMutation.LockReleasedEarly, "lock-released-early", "the cold path releases the lock before advancing the cold cursor: another worker takes the same slot", keyed: false, releaseIsSchedulingPoint),
    ];

    private static CoyoteScenario Mutant(SlotMutation mutation, string name, string description, bool keyed, bool release) =>
        new($"mutant/{name}", description, Shape(mutation, keyed, release), ExpectsBug: true);

    // The gallery's two shapes (MutantScenarios): 2 workers alloc/free/alloc on a simple pool of 2, or keyed on a pool of 2 at threshold 2.
    private static Func<CoyoteIteration, Task> Shape(SlotMutation mutation, bool keyed, bool release) => keyed
        ? AllocFreeAlloc(MutantSlotPool.Factory(mutation), 2, keyed: true, capacity: 2, threshold: 2, release)
        : AllocFreeAlloc(MutantSlotPool.Factory(mutation), 2, keyed: false, capacity: 2, threshold: 0, release);
}
