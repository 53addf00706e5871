using Veralloc.Allocators.Slots;
using Veralloc.Systematic;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// Concurrent scenarios on the sharded slot allocator (docs/design-notes/0013-sharded-slot-allocator.md): falling back
/// to another shard, exhaustion only when every shard is full, a free racing a probe, and a batch free across shards.
/// Each is a shape parameterized by the pool, so the mutant gallery runs the same shapes against broken compositions.
/// Every thread names its home shard, so each schedule is deterministic.
/// </summary>
public static class ShardedSlotScenarios
{
    /// <summary>The scenarios on the real <see cref="ShardedSlotAllocator"/>; each must pass under every strategy.</summary>
    public static IReadOnlyList<SystematicScenario> All { get; } =
    [
        new("slots/sharded/fallback-2x3", "2 threads, both at home in shard 0, alloc, free, alloc on 2 shards of 1 slot: whoever finds shard 0 taken gets shard 1's slot; every alloc succeeds", Fallback(RealShardedSlotPool.Factory)),
        new("slots/sharded/exhaustion", "3 threads, all at home in shard 0, each take a slot from 2 shards of 1 slot: exactly two succeed whatever the order, so the slot in shard 1 is always found", Exhaustion(RealShardedSlotPool.Factory)),
        new("slots/sharded/free-races-probe", "a thread frees shard 0's slot, then takes shard 1's, while another probes from shard 0: both succeed, since both shards are never full at once", FreeRacesProbe(RealShardedSlotPool.Factory)),
        new("slots/sharded/keyed-batch-free", "a thread with key m1 takes 3 of 4 slots in 2 shards, frees them in one batch and gets its home shard's affine tail back, while another with m2 cycles in shard 1", KeyedBatchFree(RealShardedSlotPool.Factory)),
    ];

    /// <summary>Two threads at home in shard 0 each alloc, free, alloc on 2 shards of 1 slot: every alloc must succeed.</summary>
    public static Action<SystematicContext> Fallback(ShardedSlotPoolFactory factory) => ctx =>
    {
        var harness = new ShardedSlotHarness(ctx, factory, capacity: 2, shardCount: 2, maxUnusedWarm: 0);
        for (var t = 0; t < 2; t++)
        {
            var me = t;
            ctx.Spawn($"worker{me}", () =>
            {
                var first = harness.Allocate(me, home: 0, key: null);
                Scheduler.Assert(first is not null, $"worker{me}: first alloc failed although at most 2 slots are ever held and 2 shards hold one each");
                harness.Free(me, first!.Value, 8L * (me + 1));
                var second = harness.Allocate(me, home: 0, key: null);
                Scheduler.Assert(second is not null, $"worker{me}: second alloc failed although at most 2 slots are ever held and 2 shards hold one each");
            });
        }

        ctx.AtQuiescence("each thread holds exactly one slot", () => harness.OwnedCount == 2);
    };

    /// <summary>Three threads at home in shard 0 each take one slot of 2 shards of 1 slot: exactly two must succeed.</summary>
    public static Action<SystematicContext> Exhaustion(ShardedSlotPoolFactory factory) => ctx =>
    {
        var harness = new ShardedSlotHarness(ctx, factory, capacity: 2, shardCount: 2, maxUnusedWarm: 0);

        // Each taker writes only its own entry, and the engine runs one thread at a time: no lock needed.
        var got = new bool[3];
        for (var t = 0; t < 3; t++)
        {
            var me = t;
            ctx.Spawn($"taker{me}", () => got[me] = harness.Allocate(me, home: 0, new SlotAffinity(me, 0)) is not null);
        }

        ctx.AtQuiescence("exactly two of three allocs succeed: a full pool is reported only when both shards are full",
            () => got.Count(success => success) == 2 && harness.Pool.EmptySlotCount == 0);
    };

    /// <summary>
    /// On 2 shards of 1 slot, with shard 0's slot held by thread A: A frees it and then allocates from home 1, while
    /// thread B allocates from home 0. Both must succeed. B could be refused only at an instant when both shards are
    /// full, which needs shard 0's slot still held (before A's free) and shard 1's taken by A (after A's free). A probe
    /// that passes shard 0 before the free and reaches shard 1 after A's alloc sees each shard full at a different
    /// instant; only trying again with both locks held finds the slot A freed.
    /// </summary>
    /// <remarks>
    /// The free comes before A's alloc in A's program order, so the order that matters is one the engine sees; a
    /// separate freeing thread would order them by real time alone, which partial-order reduction does not keep.
    /// </remarks>
    public static Action<SystematicContext> FreeRacesProbe(ShardedSlotPoolFactory factory) => ctx =>
    {
        var harness = new ShardedSlotHarness(ctx, factory, capacity: 2, shardCount: 2, maxUnusedWarm: 0);
        var held = harness.SetupAllocate(0, home: 0, key: null);
        ctx.Spawn("freer", () =>
        {
            harness.Free(0, held, 0);
            var taken = harness.Allocate(0, home: 1, key: null);
            Scheduler.Assert(taken is not null, "freer: alloc from home 1 after freeing slot 0 failed although at most 2 slots are ever held");
        });
        ctx.Spawn("prober", () =>
        {
            var taken = harness.Allocate(1, home: 0, key: null);
            Scheduler.Assert(taken is not null, "prober: alloc from home 0 reported a full pool, but both shards were never full at once (shard 0's slot was freed before shard 1's was taken)");
        });
        ctx.AtQuiescence("both threads hold a slot", () => harness.OwnedCount == 2);
    };

    /// <summary>
    /// 2 shards of 2 slots, threshold 4 (2 a shard). A thread at home in shard 0 with key m1 takes three slots (shard 0's
    /// two, then one in shard 1), frees all three in one batch and allocates again: it must get shard 0's affine tail,
    /// the later of its shard-0 slots in the batch. Meanwhile a thread at home in shard 1 with key m2 allocs, frees and
    /// allocs: it must get its own slot back. Every alloc succeeds (at most 4 slots are ever held).
    /// </summary>
    public static Action<SystematicContext> KeyedBatchFree(ShardedSlotPoolFactory factory) => ctx =>
    {
        var harness = new ShardedSlotHarness(ctx, factory, capacity: 4, shardCount: 2, maxUnusedWarm: 4);
        var m1 = new SlotAffinity(1, 0);
        var m2 = new SlotAffinity(2, 0);
        ctx.Spawn("batcher", () =>
        {
            var taken = new int[3];
            for (var i = 0; i < taken.Length; i++)
            {
                var slot = harness.Allocate(0, home: 0, m1);
                Scheduler.Assert(slot is not null, $"batcher: alloc {i + 1} failed although at most 4 slots are ever held");
                taken[i] = slot!.Value;
            }

            // Shard 0 (ids 0 and 1) fills first: the other thread never leaves shard 1, where it holds at most one of two.
            Scheduler.Assert(taken[0] == 0 && taken[1] == 1 && taken[2] >= 2, $"batcher: expected shard 0's slots 0 and 1, then one of shard 1's, got [{string.Join(", ", taken)}]");
            harness.FreeMany(0, taken, [10, 20, 30]);
            var again = harness.Allocate(0, home: 0, m1);
            Scheduler.Assert(again == taken[1], $"batcher: re-alloc with m1 from shard 0 must take its affine tail, slot {taken[1]} (freed after slot {taken[0]} in the batch); got {again?.ToString() ?? "none"}");
        });
        ctx.Spawn("cycler", () =>
        {
            var first = harness.Allocate(1, home: 1, m2);
            Scheduler.Assert(first is not null, "cycler: first alloc failed");
            harness.Free(1, first!.Value, 8);
            var again = harness.Allocate(1, home: 1, m2);
            Scheduler.Assert(again == first, $"cycler: re-alloc with m2 from shard 1 must take its own warm slot {first}; got {again?.ToString() ?? "none"}");
        });
        ctx.AtQuiescence("each thread holds one slot", () => harness.OwnedCount == 2);
    };
}
