using Veralloc.Allocators.Slots;
using Veralloc.Scenarios.Mutants;
using Veralloc.Scenarios.Slots;

namespace Veralloc.CoyoteLane.Slots;

/// <summary>
/// The engine's sharded slot scenarios (src/Scenarios/Slots/ShardedSlotScenarios.cs) and their two gallery mutants,
/// re-expressed for Coyote: the same shapes, names, pools and checks, with workers as tasks.
/// </summary>
public static class CoyoteShardedSlotScenarios
{
    /// <summary>The four sharded shapes on <paramref name="factory"/>, named as the engine names them.</summary>
    public static IReadOnlyList<CoyoteScenario> Build(ShardedSlotPoolFactory factory, bool releaseIsSchedulingPoint) =>
    [
        new("slots/sharded/fallback-2x3", "2 workers at home in shard 0 alloc, free, alloc on 2 shards of 1 slot", Fallback(factory, releaseIsSchedulingPoint)),
        new("slots/sharded/exhaustion", "3 workers at home in shard 0 each take a slot from 2 shards of 1 slot: exactly two succeed", Exhaustion(factory, releaseIsSchedulingPoint)),
        new("slots/sharded/free-races-probe", "a worker frees shard 0's slot, then takes shard 1's, while another probes from shard 0: both succeed", FreeRacesProbe(factory, releaseIsSchedulingPoint)),
        new("slots/sharded/keyed-batch-free", "a worker with m1 takes 3 of 4 slots, frees them in one batch and gets shard 0's affine tail back, beside a worker with m2 in shard 1", KeyedBatchFree(factory, releaseIsSchedulingPoint)),
    ];

    /// <summary>The two sharded mutants on the shapes that expose them.</summary>
    public static IReadOnlyList<CoyoteScenario> Mutants(bool releaseIsSchedulingPoint) =>
    [
        new("mutant/exhaust-after-home-shard", "a sharded pool reports itself full as soon as the home shard is",
            Exhaustion(MutantShardedSlotPool.Factory(ShardMutation.ExhaustAfterHomeShard), releaseIsSchedulingPoint), ExpectsBug: true),
        new("mutant/probe-without-recheck", "a sharded pool reports itself full after one probe of each shard",
            FreeRacesProbe(MutantShardedSlotPool.Factory(ShardMutation.ProbeWithoutRecheck), releaseIsSchedulingPoint), ExpectsBug: true),
    ];

    /// <summary>Two workers at home in shard 0 each alloc, free, alloc on 2 shards of 1 slot: every alloc must succeed.</summary>
    public static Func<CoyoteIteration, Task> Fallback(ShardedSlotPoolFactory factory, bool releaseIsSchedulingPoint) => async iteration =>
    {
        var harness = new CoyoteShardedSlotHarness(iteration, factory, 2, 2, 0, releaseIsSchedulingPoint);
        var tasks = new Task[2];
        for (int w = 0; w < tasks.Length; w++)
        {
            int me = w;
            tasks[w] = iteration.Spawn($"worker{me}", () =>
            {
                int? first = harness.Allocate(me, 0, null);
                iteration.Require(first is not null, $"worker{me}: first alloc failed although at most 2 slots are ever held and 2 shards hold one each");
                harness.Free(me, first!.Value, 8L * (me + 1));
                int? second = harness.Allocate(me, 0, null);
                iteration.Require(second is not null, $"worker{me}: second alloc failed although at most 2 slots are ever held and 2 shards hold one each");
            });
        }

        await Task.WhenAll(tasks);
        harness.CheckAtEnd();
        iteration.Require(harness.OwnedCount == 2, $"each worker holds exactly one slot: {harness.OwnedCount} owned");
    };

    /// <summary>Three workers at home in shard 0 each take one slot of 2 shards of 1 slot: exactly two must succeed.</summary>
    public static Func<CoyoteIteration, Task> Exhaustion(ShardedSlotPoolFactory factory, bool releaseIsSchedulingPoint) => async iteration =>
    {
        var harness = new CoyoteShardedSlotHarness(iteration, factory, 2, 2, 0, releaseIsSchedulingPoint);
        int successes = 0;
        var tasks = new Task[3];
        for (int w = 0; w < tasks.Length; w++)
        {
            int me = w;
            tasks[w] = iteration.Spawn($"taker{me}", () =>
            {
                if (harness.Allocate(me, 0, new SlotAffinity(me, 0)) is not null)
                {
                    successes++;
                }
            });
        }

        await Task.WhenAll(tasks);
        harness.CheckAtEnd();
        iteration.Require(successes == 2 && harness.Pool.EmptySlotCount == 0, $"exactly two of three allocs succeed (a full pool only when both shards are full): {successes} did");
    };

    /// <summary>A worker frees shard 0's slot and then allocates from home 1 while another allocates from home 0: both must succeed.</summary>
    public static Func<CoyoteIteration, Task> FreeRacesProbe(ShardedSlotPoolFactory factory, bool releaseIsSchedulingPoint) => async iteration =>
    {
        var harness = new CoyoteShardedSlotHarness(iteration, factory, 2, 2, 0, releaseIsSchedulingPoint);
        int held = harness.SetupAllocate(0, 0, null);
        Task freer = iteration.Spawn("freer", () =>
        {
            harness.Free(0, held, 0);
            iteration.Require(harness.Allocate(0, 1, null) is not null, "freer: alloc from home 1 after freeing slot 0 failed although at most 2 slots are ever held");
        });
        Task prober = iteration.Spawn("prober", () =>
            iteration.Require(harness.Allocate(1, 0, null) is not null, "prober: alloc from home 0 reported a full pool, but both shards were never full at once (shard 0's slot was freed before shard 1's was taken)"));
        await Task.WhenAll(Array(freer, prober));
        harness.CheckAtEnd();
        iteration.Require(harness.OwnedCount == 2, $"both workers hold a slot: {harness.OwnedCount} owned");
    };

    /// <summary>A keyed batch free across both shards beside a keyed cycle in shard 1 (<see cref="ShardedSlotScenarios.KeyedBatchFree"/>).</summary>
    public static Func<CoyoteIteration, Task> KeyedBatchFree(ShardedSlotPoolFactory factory, bool releaseIsSchedulingPoint) => async iteration =>
    {
        var harness = new CoyoteShardedSlotHarness(iteration, factory, 4, 2, 4, releaseIsSchedulingPoint);
        var m1 = new SlotAffinity(1, 0);
        var m2 = new SlotAffinity(2, 0);
        Task batcher = iteration.Spawn("batcher", () =>
        {
            var taken = new int[3];
            for (int i = 0; i < taken.Length; i++)
            {
                int? slot = harness.Allocate(0, 0, m1);
                iteration.Require(slot is not null, $"batcher: alloc {i + 1} failed although at most 4 slots are ever held");
                taken[i] = slot!.Value;
            }

            iteration.Require(taken[0] == 0 && taken[1] == 1 && taken[2] >= 2, $"batcher: expected shard 0's slots 0 and 1, then one of shard 1's, got [{string.Join(", ", taken)}]");
            harness.FreeMany(0, taken, [10, 20, 30]);
            int? again = harness.Allocate(0, 0, m1);
            iteration.Require(again == taken[1], $"batcher: re-alloc with m1 from shard 0 must take its affine tail, slot {taken[1]}; got {again?.ToString() ?? "none"}");
        });
        Task cycler = iteration.Spawn("cycler", () =>
        {
            int? first = harness.Allocate(1, 1, m2);
            iteration.Require(first is not null, "cycler: first alloc failed");
            harness.Free(1, first!.Value, 8);
            int? again = harness.Allocate(1, 1, m2);
            iteration.Require(again == first, $"cycler: re-alloc with m2 from shard 1 must take its own warm slot {first}; got {again?.ToString() ?? "none"}");
        });
        await Task.WhenAll(Array(batcher, cycler));
        harness.CheckAtEnd();
        iteration.Require(harness.OwnedCount == 2, $"each worker holds one slot: {harness.OwnedCount} owned");
    };

    /// <summary>An array, so that <c>Task.WhenAll</c> binds to the <c>Task[]</c> overload Coyote 1.7.11 intercepts (see CoyoteSlotScenarios).</summary>
    private static Task[] Array(params Task[] tasks) => tasks;
}
