using Veralloc.Allocators.Slots;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Traces;

namespace Veralloc.Tests.Unit.Bench;

public sealed class SlotReplayerTests
{
    [Fact]
    public void FreeSwapRemovesFromTheHeldList()
    {
        // held after the allocations: [0, 1, 2, 3]. r 1 frees 1 and moves 3 into index 1: [0, 3, 2].
        // r 1 then frees 3: [0, 2]. r 0 frees 0: [2]. r 0 frees 2.
        ParsedTrace trace = TraceParser.Parse("s 0\ns 0\ns 0\ns 0\nr 1\nr 1\nr 0\nr 0\n", "swap");
        var pool = new LowestFreeSlotPool(8);

        (SlotReuseStats stats, string? failure) = SlotReplayer.Analyze(trace, pool, checkEvery: 1);

        Assert.Null(failure);
        Assert.Equal(["s 0 -> 0", "s 0 -> 1", "s 0 -> 2", "s 0 -> 3", "free 1", "free 3", "free 0", "free 2"], pool.Log);
        Assert.Equal(0, stats.HeldAtEnd);
    }

    [Fact]
    public void AllocationIntoAFullPoolHoldsNothing()
    {
        // Capacity 2: the third s is refused and appends nothing, so held stays [0, 1].
        ParsedTrace trace = TraceParser.Parse("s 1\ns 2\ns 3\nr 1\nr 0\ns 4\n", "full");
        var pool = new LowestFreeSlotPool(2);

        (SlotReuseStats stats, string? failure) = SlotReplayer.Analyze(trace, pool, checkEvery: 0);

        Assert.Null(failure);
        Assert.Equal(["s 1 -> 0", "s 2 -> 1", "s 3 -> full", "free 1", "free 0", "s 4 -> 0"], pool.Log);
        Assert.Equal(new SlotReuseStats(Allocations: 3, Refusals: 1, KeyedAllocations: 3, SameKeyReuses: 0, HeldAtEnd: 1), stats);
    }

    [Fact]
    public void AFreeIndexPastTheHeldListIsAMismatch()
    {
        // The trace expects three held slots, but the pool (capacity 2) refused the third.
        ParsedTrace trace = TraceParser.Parse("s 1\ns 2\ns 3\nr 2\n", "mismatch");

        (_, string? failure) = SlotReplayer.Analyze(trace, new LowestFreeSlotPool(2), checkEvery: 0);

        Assert.Equal("op #3 (r 2): only 2 slots are held", failure);
    }

    [Fact]
    public void SameKeyReuseCountsOnlyKeyedAllocationsOfASlotLastUsedWithThatKey()
    {
        // slot 0: key 5, freed, key 5 again (hit), freed, key -1 (not keyed), freed, key 5 (miss: last user had none).
        ParsedTrace trace = TraceParser.Parse("s 5\nr 0\ns 5\nr 0\ns -1\nr 0\ns 5\ns 6\n", "reuse");

        (SlotReuseStats stats, string? failure) = SlotReplayer.Analyze(trace, new LowestFreeSlotPool(4), checkEvery: 0);

        Assert.Null(failure);
        Assert.Equal(new SlotReuseStats(Allocations: 5, Refusals: 0, KeyedAllocations: 4, SameKeyReuses: 1, HeldAtEnd: 2), stats);
        Assert.Equal(0.25, stats.SameKeyReuseRate);
    }

    [Fact]
    public void SlotAllocatorWithAffinityBeatsTwiceChanceOnTheSlotsWorkload()
    {
        ParsedTrace trace = SlotsWorkload(capacity: 1000, keys: 10, steps: 20_000, seed: 0);

        SlotReplayResult result = SlotReplayer.Run("slots", trace, () => new SlotAllocatorPool(new SlotAllocator(1000, 1000)), passes: 1, checkEvery: 500, warmUpMilliseconds: 0);

        Assert.True(result.Succeeded, result.Failure);
        Assert.True(result.Stats.SameKeyReuseRate > 0.2, $"same-key reuse {result.Stats.SameKeyReuseRate:P1} should exceed twice the 10% chance");
        Assert.Equal(0, result.Stats.Refusals);
    }

    [Fact]
    public void AllocationTracesAreRejected() =>
        Assert.Throws<ArgumentException>(() => SlotReplayer.Analyze(TraceParser.Parse("a 0 1 1\nf 0\n", "t"), new LowestFreeSlotPool(1), 0));

    /// <summary>The slots workload of gen_traces.py, from a .NET Random (same shape, different sequence).</summary>
    private static ParsedTrace SlotsWorkload(int capacity, int keys, int steps, int seed)
    {
        var random = new Random(seed);
        var builder = new TraceBuilder("slots (test)", TraceKind.Slot);
        int held = 0;
        for (int step = 0; step < steps; step++)
        {
            if (held > 0 && (random.NextDouble() < 0.5 || held == capacity))
            {
                builder.Add(TraceOp.SlotFree(random.Next(held--)));
            }
            else
            {
                builder.Add(TraceOp.SlotAlloc(random.Next(keys)));
                held++;
            }
        }

        return builder.Build();
    }
}
