using Veralloc.Allocators.Slots;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>Rejected calls: the right exception, a message naming the value and the rule, and no change.</summary>
public sealed class SlotAllocatorBadInputTests
{
    private static readonly SlotAffinity K1 = new(1, 0);

    /// <summary>A pool with a Used, a warm keyed, a warm keyless and cold slots.</summary>
    private static SlotAllocator MixedPool()
    {
        var pool = new SlotAllocator(6, 3);
        int used = SlotAllocatorExampleTests.Allocate(pool, K1);
        int keyed = SlotAllocatorExampleTests.Allocate(pool, K1);
        int keyless = SlotAllocatorExampleTests.Allocate(pool, null);
        pool.Free(keyed, 4096);
        pool.Free(keyless, 512);
        Assert.Equal(0, used);
        return pool;
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(6)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void FreeOfAnIdOutOfRangeIsRejected(int slotId)
    {
        var pool = MixedPool();
        string before = SlotSnapshot.Take(pool);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Free(slotId, 0));
        Assert.Equal("slotId", error.ParamName);
        Assert.Contains($"slot id {slotId}", error.Message, StringComparison.Ordinal);
        Assert.Contains("0..5", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, SlotSnapshot.Take(pool));
        pool.CheckInvariants();
    }

    [Theory]
    [InlineData(1, "UnusedWarm")]
    [InlineData(2, "UnusedWarm")]
    [InlineData(4, "UnusedCold")]
    public void FreeOfASlotThatIsNotUsedIsRejected(int slotId, string state)
    {
        var pool = MixedPool();
        string before = SlotSnapshot.Take(pool);
        var error = Assert.Throws<InvalidOperationException>(() => pool.Free(slotId, 7));
        Assert.Contains($"slot {slotId} is {state}", error.Message, StringComparison.Ordinal);
        Assert.Contains("only a Used slot may be freed", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, SlotSnapshot.Take(pool));
        pool.CheckInvariants();
    }

    [Fact]
    public void DoubleFreeIsRejected()
    {
        var pool = new SlotAllocator(2, 0);
        int slot = SlotAllocatorExampleTests.Allocate(pool, K1);
        pool.Free(slot, 1);
        string before = SlotSnapshot.Take(pool);
        Assert.Throws<InvalidOperationException>(() => pool.Free(slot, 1));
        Assert.Equal(before, SlotSnapshot.Take(pool));
        pool.CheckInvariants();
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public void NegativeBytesResidentIsRejected(long bytes)
    {
        var pool = MixedPool();
        string before = SlotSnapshot.Take(pool);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Free(0, bytes));
        Assert.Equal("bytesResident", error.ParamName);
        Assert.Contains($"bytesResident {bytes} must be >= 0", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, SlotSnapshot.Take(pool));
        pool.CheckInvariants();
    }

    [Fact]
    public void BytesResidentThatWouldOverflowTheTotalIsRejected()
    {
        var pool = MixedPool();
        string before = SlotSnapshot.Take(pool);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Free(0, long.MaxValue));
        Assert.Equal("bytesResident", error.ParamName);
        Assert.Contains("would overflow UnusedBytesResident 4608", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, SlotSnapshot.Take(pool));
        pool.CheckInvariants();
    }

    [Fact]
    public void BytesResidentThatBringsTheTotalToExactlyLongMaxValueIsAccepted()
    {
        var pool = MixedPool();
        Assert.Equal(4608, pool.UnusedBytesResident);

        pool.Free(0, long.MaxValue - 4608);

        Assert.Equal(long.MaxValue, pool.UnusedBytesResident);
        Assert.Equal(long.MaxValue - 4608, pool.GetSlotState(0).BytesResident);
        pool.CheckInvariants();
        Assert.True(pool.TryAllocate(K1, out int slot));
        Assert.Equal(0, slot);
        Assert.Equal(4608, pool.UnusedBytesResident);
    }

    [Fact]
    public void CapacityOfExactlyMaxCapacityIsAccepted()
    {
        var pool = new SlotAllocator(SlotAllocator.MaxCapacity, 0);
        Assert.Equal(SlotAllocator.MaxCapacity, pool.Capacity);
        Assert.Equal(SlotAllocator.MaxCapacity, pool.EmptySlotCount);
        Assert.True(pool.TryAllocate(K1, out int slot));
        Assert.Equal(0, slot);
        pool.Free(slot, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetSlotState(SlotAllocator.MaxCapacity));
        Assert.Equal(SlotKind.UnusedCold, pool.GetSlotState(SlotAllocator.MaxCapacity - 1).Kind);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(SlotAllocator.MaxCapacity + 1)]
    [InlineData(int.MinValue)]
    public void CapacityOutOfRangeIsRejected(int capacity)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SlotAllocator(capacity, 0));
        Assert.Equal("capacity", error.ParamName);
        Assert.Contains($"capacity {capacity} must lie in 0..{SlotAllocator.MaxCapacity}", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => SlotAllocator.CreateSimple(capacity));
    }

    [Theory]
    [InlineData(10, -1)]
    [InlineData(10, 11)]
    [InlineData(0, 1)]
    public void ThresholdOutOfRangeIsRejected(int capacity, int threshold)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SlotAllocator(capacity, threshold));
        Assert.Equal("maxUnusedWarm", error.ParamName);
        Assert.Contains($"maxUnusedWarm {threshold} must lie in 0..{capacity}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThresholdEqualToCapacityIsAllowed()
    {
        var pool = new SlotAllocator(1000, 1000);
        Assert.Equal(1000, pool.MaxUnusedWarm);
        pool.CheckInvariants();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(6)]
    public void SlotStateOfAnIdOutOfRangeIsRejected(int slotId)
    {
        var pool = MixedPool();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetSlotState(slotId));
        Assert.Contains($"slot id {slotId}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARejectedCallReleasesTheLock()
    {
        var seam = new CountingLock();
        var pool = new SlotAllocator(2, 0, seam);
        int slot = SlotAllocatorExampleTests.Allocate(pool, null);
        pool.Free(slot, 0);
        Assert.Throws<InvalidOperationException>(() => pool.Free(slot, 0));
        Assert.Equal(0, seam.Held);
        Assert.Equal(3, seam.Entered);
    }

    private sealed class CountingLock : Veralloc.Allocators.Concurrency.IAllocatorLock
    {
        public int Held { get; private set; }

        public int Entered { get; private set; }

        public void Enter()
        {
            Assert.Equal(0, Held);
            Held++;
            Entered++;
        }

        public void Exit()
        {
            Assert.Equal(1, Held);
            Held--;
        }
    }
}
