using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;
using Veralloc.Systematic;
using Veralloc.Systematic.Allocators;

namespace Veralloc.Scenarios.Slots;

/// <summary>Builds a pool of the given capacity and warm threshold on a lock seam.</summary>
public delegate ISlotPool SlotPoolFactory(IAllocatorLock lockSeam, int capacity, int maxUnusedWarm);

/// <summary>
/// Concurrent scenarios on the slot allocator (SEED-SEMANTICS §3). Each is a shape parameterized by the pool, so
/// the mutant gallery runs the same shapes against broken copies.
/// </summary>
public static class SlotScenarios
{
    /// <summary>The real <see cref="SlotAllocator"/>.</summary>
    public static SlotPoolFactory Real { get; } = (lockSeam, capacity, threshold) => new RealSlotPool(new SlotAllocator(capacity, threshold, lockSeam));

    /// <summary>The scenarios on the real allocator; each must pass under every strategy.</summary>
    public static IReadOnlyList<SystematicScenario> All { get; } =
    [
        new("slots/alloc-free-2x3", "2 threads each alloc, free, alloc on a simple pool of 2 (no keys): every alloc succeeds, no slot is owned twice", AllocFreeAlloc(Real, threads: 2, keyed: false, capacity: 2, threshold: 0)),
        new("slots/alloc-free-keyed-2x3", "2 threads with keys m1, m2 alloc, free, alloc on a pool of 2 (threshold 2): affine reuse races with cold allocation", AllocFreeAlloc(Real, threads: 2, keyed: true, capacity: 2, threshold: 2)),
        new("slots/alloc-free-keyed-3x3", "3 threads with keys m1, m2, m1 alloc, free, alloc on a pool of 3 (threshold 1): shared key, evictions at the threshold", AllocFreeAlloc(Real, threads: 3, keyed: true, capacity: 3, threshold: 1)),
        new("slots/affine-clear-vs-free", "a thread frees a keyed slot while another takes it with alloc-affine-and-clear; the calls and the final slot state, warm list and resident bytes must be linearizable against the slot model", AffineClearVsFree(Real)),
        new("slots/queries-vs-mutation", "one thread allocs, frees and re-allocs with keys while another reads the counters and the warm list: the history of calls and results must be linearizable against the slot model", QueriesVsMutation(Real)),
        new("slots/threshold-edge", "2 keyed threads cycle around a warm threshold of 1 on a pool of 3: evictions and affine hits interleave; every alloc succeeds", ThresholdEdge(Real)),
        new("slots/exhaustion", "3 threads each take a slot from a pool of 2: exactly two succeed, whatever the order", Exhaustion(Real)),
    ];

    /// <summary>Each thread allocs, frees (with a distinct resident byte count), allocs again; all allocs must succeed.</summary>
    public static Action<SystematicContext> AllocFreeAlloc(SlotPoolFactory factory, int threads, bool keyed, int capacity, int threshold) => ctx =>
    {
        var harness = new SlotHarness(ctx, capacity, lockSeam => factory(lockSeam, capacity, threshold));
        for (var t = 0; t < threads; t++)
        {
            var me = t;
            SlotAffinity? key = keyed ? new SlotAffinity(1 + (me % 2), 0) : null;
            ctx.Spawn($"worker{me}", () =>
            {
                var first = harness.Allocate(me, key);
                Scheduler.Assert(first is not null, $"worker{me}: first alloc failed although at most {threads} slots are ever held and capacity is {capacity}");
                harness.Free(me, first!.Value, 8L * (me + 1));
                var second = harness.Allocate(me, key);
                Scheduler.Assert(second is not null, $"worker{me}: second alloc failed although at most {threads} slots are ever held and capacity is {capacity}");
            });
        }

        ctx.AtQuiescence("each thread holds exactly one slot", () => harness.OwnedCount == threads);
    };

    /// <summary>
    /// A keyed slot is freed while another thread takes it with alloc-affine-and-clear; afterwards the slot's state, the
    /// warm list and the resident bytes are read. The history (setup alloc, the two calls, the final reads) must be
    /// linearizable against <see cref="SlotModel"/>: the taker gets that slot, cleared, or nothing, and the end state
    /// is the one that order leaves.
    /// </summary>
    public static Action<SystematicContext> AffineClearVsFree(SlotPoolFactory factory) => ctx =>
    {
        var key = new SlotAffinity(7, 0);
        var harness = new SlotHarness(ctx, 2, lockSeam => factory(lockSeam, 2, 2));
        harness.CheckLinearizable(maxUnusedWarm: 2);
        var slot = harness.SetupAllocate(0, key);
        ctx.Spawn("freer", () => harness.Free(0, slot, 64));
        ctx.Spawn("clearer", () => harness.AllocateAffineAndClear(1, key));
        harness.QueryAfterThreads(SlotOperation.StateOf(slot), SlotOperation.WarmList, SlotOperation.UnusedBytesResident);
    };

    /// <summary>
    /// Queries race with alloc/free/alloc (threshold 1, so the second alloc evicts the warm slot); the history of calls
    /// and results must be linearizable against <see cref="SlotModel"/>.
    /// </summary>
    public static Action<SystematicContext> QueriesVsMutation(SlotPoolFactory factory) => ctx =>
    {
        var harness = new SlotHarness(ctx, 3, lockSeam => factory(lockSeam, 3, 1));
        harness.CheckLinearizable(maxUnusedWarm: 1);
        ctx.Spawn("mutator", () =>
        {
            // A failed first alloc is a result the model rejects; there is then nothing to free.
            if (harness.Allocate(0, new SlotAffinity(1, 0)) is { } first)
            {
                harness.Free(0, first, 8);
                harness.Allocate(0, new SlotAffinity(2, 0));
            }
        });
        ctx.Spawn("observer", () =>
        {
            harness.Query(SlotOperation.EmptySlotCount);
            harness.Query(SlotOperation.WarmList);
            harness.Query(SlotOperation.UnusedBytesResident);
        });
    };

    /// <summary>
    /// Two threads with the same key alloc, free and alloc again on a pool of 2 (threshold 2); afterwards the empty-slot
    /// count, the warm list and the resident bytes are read. Only results are checked, nothing inside the pool: the
    /// history must be linearizable against <see cref="SlotModel"/>. The shape of the linearizability gallery
    /// (<c>MutantScenarios.Histories</c>): whatever a broken pool does wrong, it shows here only if a caller can see it.
    /// </summary>
    public static Action<SystematicContext> SameKeyHistory(SlotPoolFactory factory) => ctx =>
    {
        ArgumentNullException.ThrowIfNull(factory);
        var gate = ctx.CreateLock("pool");
        var pool = factory(new ControlledAllocatorLock(gate), 2, 2);
        var history = ctx.Linearizable(new SlotSequentialModel(2, 2), "linearizable against the slot model");
        var key = new SlotAffinity(1, 0);
        SlotResult Run(SlotOperation operation)
        {
            Scheduler.Describe(operation.ToString());

            // Every exception is a result here, the way a caller sees it: a corrupted pool that crashes shows in the history.
            return history.Call(operation, () => operation.Invoke(pool), error =>
            {
                // A crash inside a critical section leaves the pool's lock held, and the other worker's next call would
                // turn the iteration into a deadlock before the history is checked. Release it, as a lock statement's
                // finally would, so the crash stays a result.
                if (gate.IsHeld && gate.OwnerName == Scheduler.CurrentThreadName)
                {
                    gate.Exit();
                }

                return SlotResult.Threw(error.GetType());
            });
        }

        for (var t = 0; t < 2; t++)
        {
            var me = t;
            ctx.Spawn($"worker{me}", () =>
            {
                if (Run(SlotOperation.Allocate(key)).SlotId is { } first)
                {
                    Run(SlotOperation.Free(first, 8L * (me + 1)));
                    Run(SlotOperation.Allocate(key));
                }
            });
        }

        history.AfterThreads(() =>
        {
            Run(SlotOperation.EmptySlotCount);
            Run(SlotOperation.WarmList);
            Run(SlotOperation.UnusedBytesResident);
        });
    };

    /// <summary>Two keyed threads cycle alloc/free/alloc around a warm threshold of 1.</summary>
    public static Action<SystematicContext> ThresholdEdge(SlotPoolFactory factory) => ctx =>
    {
        var harness = new SlotHarness(ctx, 3, lockSeam => factory(lockSeam, 3, 1));
        for (var t = 0; t < 2; t++)
        {
            var me = t;
            var key = new SlotAffinity(1 + me, 0);
            ctx.Spawn($"cycler{me}", () =>
            {
                var first = harness.Allocate(me, key);
                Scheduler.Assert(first is not null, $"cycler{me}: first alloc failed");
                harness.Free(me, first!.Value, me + 1);
                var again = harness.Allocate(me, key);
                Scheduler.Assert(again is not null, $"cycler{me}: second alloc failed with at most 2 of 3 slots held");
            });
        }

        ctx.AtQuiescence("each cycler holds one slot", () => harness.OwnedCount == 2);
    };

    /// <summary>
    /// Three threads compete for two slots and count their successes in a <see cref="Shared{T}"/> tally guarded by a lock
    /// of its own, so the engine checks the count for data races too.
    /// </summary>
    public static Action<SystematicContext> Exhaustion(SlotPoolFactory factory) => Exhaustion(factory, lockTheTally: true);

    /// <summary>
    /// <see cref="Exhaustion(SlotPoolFactory)"/>; with <paramref name="lockTheTally"/> false the tally is incremented without
    /// its lock, and the engine reports the unprotected increments as <see cref="BugKind.DataRace"/>.
    /// </summary>
    public static Action<SystematicContext> Exhaustion(SlotPoolFactory factory, bool lockTheTally) => ctx =>
    {
        var harness = new SlotHarness(ctx, 2, lockSeam => factory(lockSeam, 2, 0));
        var tally = ctx.CreateLock("tally");
        var successes = ctx.CreateShared("successes", 0);
        for (var t = 0; t < 3; t++)
        {
            var me = t;
            ctx.Spawn($"taker{me}", () =>
            {
                if (harness.Allocate(me, new SlotAffinity(me, 0)) is null)
                {
                    return;
                }

                if (lockTheTally)
                {
                    tally.Enter();
                }

                successes.Value++;
                if (lockTheTally)
                {
                    tally.Exit();
                }
            });
        }

        ctx.AtQuiescence("exactly two of three allocs succeed", () => successes.Value == 2 && harness.Pool.EmptySlotCount == 0);
    };
}
