using Veralloc.Allocators.Slots;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>
/// Each test breaks one shard, or the partition of the ids into shards, through an internal hook and asserts that the
/// sharded pool's checks report the id that names the damage, with the shard in the subject.
/// </summary>
public sealed class ShardedSlotCorruptionTests
{
    private static readonly SlotAffinity K1 = new(1, 0);

    /// <summary>Capacity 9 in 3 shards of 3 (ids 0..2, 3..5, 6..8); slot 3 Used, slot 4 warm with K1.</summary>
    private static ShardedSlotAllocator HealthyPool()
    {
        var pool = new ShardedSlotAllocator(capacity: 9, shardCount: 3, maxUnusedWarm: 9);
        Assert.True(pool.TryAllocate(1, K1, out int used));
        Assert.True(pool.TryAllocate(1, K1, out int warm));
        pool.Free(warm, 64);
        Assert.Equal((3, 4), (used, warm));
        pool.CheckInvariants();
        return pool;
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Conserve)]
    public void AShardsViolationIsReportedUnderItsOwnIdNamingTheShard()
    {
        var pool = HealthyPool();
        pool.ShardForTest(1).CorruptCountersForTest(used: 2);

        var error = InvariantAssert.Violates(SlotInvariantIds.Conserve, pool.CheckInvariants);
        Assert.Equal("shard 1, used", error.Violation.Subject);
        Assert.Contains("shard 1 holds global ids 3..5, local id + 3", error.Violation.Detail, StringComparison.Ordinal);

        // The per-shard check sees it under shard 1's lock alone; the other shards are sound.
        InvariantAssert.Violates(SlotInvariantIds.Conserve, () => pool.CheckShardInvariants(1));
        pool.CheckShardInvariants(0);
        pool.CheckShardInvariants(2);
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Links)]
    public void AShardsBrokenWarmListIsReportedAsSlotLinks()
    {
        var pool = HealthyPool();
        pool.ShardForTest(1).CorruptWarmLinksForTest(1, prev: 1, next: -1);

        var error = InvariantAssert.Violates(SlotInvariantIds.Links, pool.CheckInvariants);
        Assert.StartsWith("shard 1, ", error.Violation.Subject, StringComparison.Ordinal);
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Exclusive)]
    public void AnAllocationThatWouldHandOutAUsedSlotIsRefusedAsExclusiveNamingTheShard()
    {
        var pool = HealthyPool();
        pool.ShardForTest(2).CorruptSlotForTest(0, SlotKind.Used, null, 0);

        var error = InvariantAssert.Violates(SlotInvariantIds.Exclusive, () => pool.TryAllocate(2, null, out _));
        Assert.Equal("shard 2, slot 0", error.Violation.Subject);
        Assert.Contains("global ids 6..8", error.Violation.Detail, StringComparison.Ordinal);
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.ShardConserve)]
    public void ARangeThatDoesNotStartAtZeroIsReportedAsShardConserve()
    {
        var pool = HealthyPool();
        pool.CorruptShardFirstSlotIdForTest(0, 1);

        var error = InvariantAssert.Violates(SlotInvariantIds.ShardConserve, pool.CheckInvariants);
        Assert.Equal("shard 0", error.Violation.Subject);
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.ShardConserve)]
    public void ARangeOfTheWrongLengthIsReportedAsShardConserve()
    {
        var pool = HealthyPool();
        pool.CorruptShardFirstSlotIdForTest(2, 5);

        var error = InvariantAssert.Violates(SlotInvariantIds.ShardConserve, pool.CheckInvariants);
        Assert.Equal("shard 1", error.Violation.Subject);
        Assert.Contains("a range of 2 ids, but it has 3 slots", error.Violation.Detail, StringComparison.Ordinal);
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.ShardConserve)]
    public void RangesThatEndShortOfTheCapacityAreReportedAsShardConserve()
    {
        var pool = HealthyPool();
        pool.CorruptShardFirstSlotIdForTest(3, 8);

        var error = InvariantAssert.Violates(SlotInvariantIds.ShardConserve, pool.CheckInvariants);
        Assert.Equal("shards", error.Violation.Subject);
        Assert.Contains("the capacity is 9", error.Violation.Detail, StringComparison.Ordinal);
    }
}
