using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;
using Veralloc.Systematic;

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
        new("slots/affine-clear-vs-free", "a thread frees a keyed slot while another takes it with alloc-affine-and-clear: the taker gets exactly that slot, cleared, or nothing", AffineClearVsFree(Real)),
        new("slots/queries-vs-mutation", "one thread allocs, frees and re-allocs with keys while another reads the counters and the warm list: every query sees a state some sequential order produces", QueriesVsMutation(Real)),
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

    /// <summary>A keyed slot is freed while another thread takes it with alloc-affine-and-clear.</summary>
    public static Action<SystematicContext> AffineClearVsFree(SlotPoolFactory factory) => ctx =>
    {
        var key = new SlotAffinity(7, 0);
        var harness = new SlotHarness(ctx, 2, lockSeam => factory(lockSeam, 2, 2));
        var slot = harness.SetupAllocate(0, key);
        int? taken = null;
        ctx.Spawn("freer", () => harness.Free(0, slot, 64));
        ctx.Spawn("clearer", () =>
        {
            taken = harness.AllocateAffineAndClear(1, key);
            if (taken is { } id)
            {
                Scheduler.Assert(id == slot, $"alloc-affine-and-clear returned slot {id}, but only slot {slot} was ever affine to the key");
            }
        });
        ctx.AtQuiescence("outcome matches a sequential order", () =>
        {
            var state = harness.Pool.GetSlotState(slot);
            var warm = harness.Pool.GetWarmList();
            return taken is null
                ? state.Kind == SlotKind.UnusedWarm && state.Affinity == key && warm.SequenceEqual([slot]) && harness.Pool.UnusedBytesResident == 64
                : state.Kind == SlotKind.Used && state.Affinity is null && warm.Length == 0 && harness.Pool.UnusedBytesResident == 0;
        });
    };

    /// <summary>Queries race with alloc/free; each query result must be one that a sequential order produces.</summary>
    public static Action<SystematicContext> QueriesVsMutation(SlotPoolFactory factory) => ctx =>
    {
        var harness = new SlotHarness(ctx, 3, lockSeam => factory(lockSeam, 3, 1));
        ctx.Spawn("mutator", () =>
        {
            var a = harness.Allocate(0, new SlotAffinity(1, 0));
            Scheduler.Assert(a is not null, "mutator: first alloc failed on an empty pool");
            harness.Free(0, a!.Value, 8);
            var b = harness.Allocate(0, new SlotAffinity(2, 0));
            Scheduler.Assert(b == a, $"mutator: with one warm slot at threshold 1 the warm slot {a} must be evicted and reused, got {b}");
        });
        ctx.Spawn("observer", () =>
        {
            Scheduler.Describe("query EmptySlotCount");
            var empty = harness.Pool.EmptySlotCount;
            Scheduler.Assert(empty is 2 or 3, $"EmptySlotCount {empty}: sequential orders give 3 (none used) or 2 (one used)");
            Scheduler.Describe("query GetWarmList");
            var warm = harness.Pool.GetWarmList();
            Scheduler.Assert(warm.Length <= 1, $"warm list of {warm.Length}: at most one slot is ever warm");
            Scheduler.Describe("query UnusedBytesResident");
            var bytes = harness.Pool.UnusedBytesResident;
            Scheduler.Assert(bytes is 0 or 8, $"UnusedBytesResident {bytes}: only the one free of 8 bytes can be resident");
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
