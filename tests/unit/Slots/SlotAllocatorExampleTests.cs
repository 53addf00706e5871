using Veralloc.Allocators.Slots;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>The observable examples of SEED-SEMANTICS §3, slot id for slot id.</summary>
public sealed class SlotAllocatorExampleTests
{
    private static readonly SlotAffinity K1 = new(1, 0);
    private static readonly SlotAffinity K2 = new(2, 0);
    private static readonly SlotAffinity K3 = new(3, 0);

    [Fact]
    public void SimpleAllocatorReusesLeastRecentlyFreedBeforeCold()
    {
        // §3: alloc a(0); free a -> warm [a]; alloc -> a; alloc b(1); free b -> [b]; free a -> [b, a].
        var pool = SlotAllocator.CreateSimple(4);
        int a = Allocate(pool, null);
        Assert.Equal(0, a);
        pool.Free(a, 0);
        Assert.Equal([a], pool.GetWarmList());
        pool.CheckInvariants();

        Assert.Equal(a, Allocate(pool, null));
        int b = Allocate(pool, null);
        Assert.Equal(1, b);
        pool.Free(b, 0);
        Assert.Equal([b], pool.GetWarmList());
        pool.Free(a, 0);
        Assert.Equal([b, a], pool.GetWarmList());
        pool.CheckInvariants();
        Assert.True(pool.IsEmpty);
        Assert.Equal(4, pool.EmptySlotCount);
    }

    [Fact]
    public void ThresholdExampleHandsOutTheDocumentedSlots()
    {
        // §3: capacity 10, threshold 2: k1->0, free; k2->1, free; k3 evicts LRU -> 0, free; k2->1 (affine); k1->2 (cold).
        var pool = new SlotAllocator(10, 2);
        Assert.Equal(0, Allocate(pool, K1));
        pool.Free(0, 100);
        Assert.Equal(1, Allocate(pool, K2));
        pool.Free(1, 200);
        Assert.Equal(2, pool.UnusedWarmCount);
        Assert.Equal(300, pool.UnusedBytesResident);
        Assert.Equal([K1, K2], pool.GetAffinities());

        Assert.Equal(0, Allocate(pool, K3));
        Assert.Equal([K2], pool.GetAffinities());
        Assert.Equal(200, pool.UnusedBytesResident);
        pool.Free(0, 50);
        Assert.Equal([1, 0], pool.GetWarmList());
        Assert.Equal([K2, K3], pool.GetAffinities());

        Assert.Equal(1, Allocate(pool, K2));
        Assert.Equal(2, Allocate(pool, K1));
        Assert.Equal([0], pool.GetWarmList());
        Assert.Equal([K3], pool.GetAffinities());
        Assert.Equal([0], pool.GetAffineList(K3));
        Assert.Equal(new SlotState(SlotKind.Used, K1, 0), pool.GetSlotState(2));
        Assert.Equal(new SlotState(SlotKind.UnusedWarm, K3, 50), pool.GetSlotState(0));
        Assert.Equal(new SlotState(SlotKind.UnusedCold, null, 0), pool.GetSlotState(3));
        Assert.Equal(8, pool.EmptySlotCount);
        pool.CheckInvariants();
    }

    [Fact]
    public void AffineStepReusesTheMostRecentlyFreedSlotOfTheKey()
    {
        var pool = new SlotAllocator(10, 10);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i, Allocate(pool, K1));
        }

        pool.Free(0, 1);
        pool.Free(2, 1);
        pool.Free(1, 1);
        Assert.Equal([0, 2, 1], pool.GetAffineList(K1));
        Assert.Equal(1, Allocate(pool, K1));
        Assert.Equal([0, 2], pool.GetAffineList(K1));
        Assert.Equal([0, 2], pool.GetWarmList());
        pool.CheckInvariants();
    }

    [Fact]
    public void AffineAndClearTakesOnlyAnAffineSlotAndForgetsTheKey()
    {
        var pool = new SlotAllocator(4, 4);
        Assert.False(pool.TryAllocateAffineAndClear(K1, out int none));
        Assert.Equal(-1, none);
        Assert.Equal(4, pool.EmptySlotCount);

        int slot = Allocate(pool, K1);
        pool.Free(slot, 64);
        Assert.False(pool.TryAllocateAffineAndClear(K2, out _));
        Assert.True(pool.TryAllocateAffineAndClear(K1, out int cleared));
        Assert.Equal(slot, cleared);
        Assert.Equal(new SlotState(SlotKind.Used, null, 0), pool.GetSlotState(slot));
        Assert.Empty(pool.GetAffinities());
        Assert.Equal(0, pool.UnusedBytesResident);

        // Freed again, the slot has no key: it joins the warm list only.
        pool.Free(slot, 8);
        Assert.Equal([slot], pool.GetWarmList());
        Assert.Empty(pool.GetAffinities());
        Assert.Empty(pool.GetAffineList(K1));
        pool.CheckInvariants();
    }

    [Fact]
    public void FullPoolReturnsFalseAndChangesNothing()
    {
        var pool = new SlotAllocator(2, 1);
        Allocate(pool, K1);
        Allocate(pool, null);
        Assert.False(pool.TryAllocate(K1, out int slot));
        Assert.Equal(-1, slot);
        Assert.False(pool.TryAllocate(null, out _));
        Assert.Equal(0, pool.EmptySlotCount);
        Assert.False(pool.IsEmpty);
        pool.CheckInvariants();
    }

    [Fact]
    public void EmptyPoolHasNothingToHandOut()
    {
        var pool = new SlotAllocator(0, 0);
        Assert.False(pool.TryAllocate(null, out _));
        Assert.False(pool.TryAllocate(K1, out _));
        Assert.True(pool.IsEmpty);
        Assert.Equal(0, pool.EmptySlotCount);
        pool.CheckInvariants();
    }

    [Fact]
    public void BelowThresholdWarmSlotsAreUsedOnceColdRunsOut()
    {
        var pool = new SlotAllocator(2, 2);
        Assert.Equal(0, Allocate(pool, K1));
        Assert.Equal(1, Allocate(pool, K1));
        pool.Free(1, 0);
        Assert.Equal(1, pool.UnusedWarmCount);

        // 1 warm < threshold 2, but no cold slot is left: the warm head is taken.
        Assert.Equal(1, Allocate(pool, K2));
        Assert.Empty(pool.GetAffinities());
        pool.CheckInvariants();
    }

    internal static int Allocate(SlotAllocator pool, SlotAffinity? affinity)
    {
        Assert.True(pool.TryAllocate(affinity, out int slot), "the pool should have had a free slot");
        return slot;
    }
}
