using Veralloc.Bench.Reporting;
using Veralloc.Bench.Slots;

namespace Veralloc.Tests.Unit.Bench;

/// <summary>
/// The contended slot-pool benchmark runs every pool to a verified end state, counts same-key reuse the way the slot
/// trace replayer does, and shows the trade-off between a home shard per thread and per key; the report states the
/// targets. Throughput itself is not asserted: it depends on the machine.
/// </summary>
public sealed class ContendedSlotBenchmarkTests
{
    private static readonly ContendedOptions Short = new() { PairsPerThread = 20_000, WarmupPairsPerThread = 5_000 };

    public static TheoryData<string, int> PoolsAndThreads()
    {
        var data = new TheoryData<string, int>();
        foreach (string pool in ContendedSlotBenchmark.Pools)
        {
            data.Add(pool, 1);
            data.Add(pool, 2);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PoolsAndThreads))]
    public void EveryPoolRunsToAVerifiedEnd(string pool, int threads)
    {
        ContendedRun run = ContendedSlotBenchmark.Run(pool, threads, Short);

        Assert.Null(run.Failure);
        Assert.Equal((pool, threads), (run.Pool, run.Threads));
        Assert.True(run.PairsPerSecond > 0);
        if (pool.Contains("Slot", StringComparison.Ordinal))
        {
            // SEED §3: at least twice the chance rate of same-key reuse with 10 keys (chance: 10 %).
            Assert.InRange(run.SameKeyReuse!.Value, 0.2, 1.0);
        }
        else
        {
            Assert.Null(run.SameKeyReuse);
        }
    }

    [Fact]
    public void WithManyKeysAHomeShardPerKeyKeepsTheUnshardedReuseAndOnePerThreadDoesNot()
    {
        // One thread, so every figure is deterministic: with 2,000 keys the warm slots cover only some keys.
        var manyKeys = Short with { KeyCount = 2_000 };
        double unsharded = ContendedSlotBenchmark.Run("SlotAllocator", 1, manyKeys).SameKeyReuse!.Value;
        double byThread = ContendedSlotBenchmark.Run("ShardedSlotAllocator", 1, manyKeys).SameKeyReuse!.Value;
        double byKey = ContendedSlotBenchmark.Run("ShardedSlotAllocator, home by key", 1, manyKeys).SameKeyReuse!.Value;

        Assert.InRange(unsharded, 0.2, 0.8);
        Assert.True(byThread < 0.8 * unsharded, $"home by thread: {byThread:P1} vs unsharded {unsharded:P1}");
        Assert.True(byKey >= 0.95 * unsharded, $"home by key: {byKey:P1} vs unsharded {unsharded:P1}");
    }

    [Fact]
    public void RunRejectsAnUnknownPoolAndThreadCountsOutOfRange()
    {
        Assert.Throws<ArgumentException>(() => ContendedSlotBenchmark.Run("no-such-pool", 1, Short));
        Assert.Throws<ArgumentOutOfRangeException>(() => ContendedSlotBenchmark.Run("SlotAllocator", 0, Short));
        Assert.Throws<ArgumentOutOfRangeException>(() => ContendedSlotBenchmark.Run("SlotAllocator", 126, Short));
        Assert.Throws<ArgumentOutOfRangeException>(() => ContendedSlotBenchmark.Run("SlotAllocator", 1, Short with { KeyCount = 0 }));
    }

    [Fact]
    public void TheReportTakesMediansAndStatesTheRatiosAgainstTheTargets()
    {
        ContendedRun[] runs =
        [
            new("SlotAllocator", 1, 10e6, 0.99, null), new("SlotAllocator", 1, 12e6, 0.97, null), new("SlotAllocator", 1, 11e6, 0.98, null),
            new("SlotAllocator", 2, 8e6, 0.98, null),
            new("ShardedSlotAllocator", 1, 10e6, 0.97, null), new("ShardedSlotAllocator", 2, 17e6, 0.96, null),
            new("ShardedSlotAllocator, home by key", 1, 10e6, 0.98, null), new("ShardedSlotAllocator, home by key", 2, 12e6, 0.98, null),
            new("lock+Stack<int>", 1, 30e6, null, null), new("lock+Stack<int>", 2, 20e6, null, "a refused allocation"),
            new("ConcurrentBag<int>", 1, 20e6, null, null), new("ConcurrentBag<int>", 2, 38e6, null, null),
        ];

        IReadOnlyList<ContendedRun> medians = ContendedReport.Medians(runs);
        string report = ContendedReport.Markdown(medians, Short, passes: 3, "test machine", "2026-01-01", "1.00 → 2.00");

        Assert.Equal(11e6, medians.Single(run => run.Pool == "SlotAllocator" && run.Threads == 1).PairsPerSecond);
        Assert.Equal(0.98, medians.Single(run => run.Pool == "SlotAllocator" && run.Threads == 1).SameKeyReuse);
        Assert.Equal(1.7, ContendedReport.Scaling(medians, "ShardedSlotAllocator", 2)!.Value, 3);
        Assert.Contains("| `SlotAllocator` | 11.00 | 98.0 % | 8.00 | 98.0 % |", report, StringComparison.Ordinal);
        Assert.Contains("| `lock+Stack<int>` | 30.00 | — | failed | |", report, StringComparison.Ordinal);
        Assert.Contains("`ShardedSlotAllocator` **1.70×** (target on 2 cores ≥ 1.6×: met)", report, StringComparison.Ordinal);
        Assert.Contains("`ShardedSlotAllocator, home by key` **1.20×** (target on 2 cores ≥ 1.6×: not met) · control: `ConcurrentBag<int>` 1.90×", report, StringComparison.Ordinal);
        Assert.Contains("`ShardedSlotAllocator` **99.0 %** (target ≥ 95 %: met)", report, StringComparison.Ordinal);
        Assert.Contains("Machine: test machine. Date: 2026-01-01. Load average when the run started and ended: 1.00 → 2.00.", report, StringComparison.Ordinal);
    }
}
