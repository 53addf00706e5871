using Veralloc.Allocators.Slots;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>
/// The list queries stay usable on a corrupted pool: a diagnostic tool reads them to see what went wrong, so they must
/// neither throw, nor loop, nor allocate more than <see cref="SlotAllocator.Capacity"/> entries, whatever the warm
/// counter or the links say; <see cref="SlotAllocator.CheckInvariants"/> is what reports the damage.
/// </summary>
public sealed class SlotQueryCorruptionTests
{
    private static readonly SlotAffinity K1 = new(1, 0);
    private static readonly SlotAffinity K2 = new(2, 0);

    /// <summary>Capacity 8: warm list [0, 1, 2, 3]; affine K1 = [0, 1], K2 = [2]; slot 4 Used.</summary>
    private static SlotAllocator PoolWithFourWarmSlots()
    {
        var pool = new SlotAllocator(8, 8);
        SlotAffinity?[] keys = [K1, K1, K2, null, K1];
        foreach (var key in keys)
        {
            SlotAllocatorExampleTests.Allocate(pool, key);
        }

        for (int slot = 0; slot < 4; slot++)
        {
            pool.Free(slot, 100);
        }

        Assert.Equal([0, 1, 2, 3], pool.GetWarmList());
        return pool;
    }

    [Fact]
    public void WarmListIsEmptyWhenTheCounterIsNegative()
    {
        var pool = PoolWithFourWarmSlots();
        pool.CorruptCountersForTest(unusedWarm: -1);

        Assert.Empty(pool.GetWarmList());
        Assert.Equal(-1, pool.UnusedWarmCount);
        InvariantAssert.Violates(SlotInvariantIds.Warm, pool.CheckInvariants);
    }

    [Fact]
    public void WarmListStopsAtTheCounterWhenTheCounterIsBelowTheListLength()
    {
        var pool = PoolWithFourWarmSlots();
        pool.CorruptCountersForTest(unusedWarm: 2);

        Assert.Equal([0, 1], pool.GetWarmList());
    }

    [Fact]
    public void WarmListStopsAtTheListEndWhenTheCounterIsAboveTheListLength()
    {
        var pool = PoolWithFourWarmSlots();
        pool.CorruptCountersForTest(unusedWarm: 6);

        // Only the slots the list really holds: padding would read as slot 0.
        Assert.Equal([0, 1, 2, 3], pool.GetWarmList());
    }

    [Theory]
    [InlineData(8)]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    public void WarmListEndsAtALinkOutsideThePool(int link)
    {
        var pool = PoolWithFourWarmSlots();
        pool.CorruptWarmLinksForTest(1, prev: 0, next: link);

        Assert.Equal([0, 1], pool.GetWarmList());
        InvariantAssert.Violates(SlotInvariantIds.Links, pool.CheckInvariants);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(-2)]
    public void AffineListEndsAtALinkOutsideThePool(int link)
    {
        var pool = PoolWithFourWarmSlots();
        pool.CorruptAffineLinksForTest(0, prev: -1, next: link);

        Assert.Equal([0], pool.GetAffineList(K1));
        InvariantAssert.Violates(SlotInvariantIds.Links, pool.CheckInvariants);
    }

    [Fact]
    public void AffineListIsEmptyWhenItsHeadIsOutsideThePool()
    {
        var pool = PoolWithFourWarmSlots();
        pool.CorruptAffineListForTest(K2, head: 8, tail: 8);

        Assert.Empty(pool.GetAffineList(K2));
        Assert.Equal([0, 1], pool.GetAffineList(K1));
        InvariantAssert.Violates(SlotInvariantIds.Links, pool.CheckInvariants);
    }

    [Fact]
    public void WarmListNeverOutgrowsTheCapacityWhateverTheCounterSays()
    {
        var pool = PoolWithFourWarmSlots();
        pool.CorruptWarmLinksForTest(3, prev: 2, next: 0); // the tail points back to the head: a cycle
        pool.CorruptCountersForTest(unusedWarm: int.MaxValue);

        Assert.Equal([0, 1, 2, 3, 0, 1, 2, 3], pool.GetWarmList());
    }

    [Fact]
    public void AffineListWalkOfACycleEndsAfterCapacityEntries()
    {
        var pool = PoolWithFourWarmSlots();
        pool.CorruptAffineLinksForTest(1, prev: 0, next: 0); // K1's tail points back to its head

        Assert.Equal([0, 1, 0, 1, 0, 1, 0, 1], pool.GetAffineList(K1));
        Assert.Equal([2], pool.GetAffineList(K2));
        InvariantAssert.Violates(SlotInvariantIds.Links, pool.CheckInvariants);
    }
}
