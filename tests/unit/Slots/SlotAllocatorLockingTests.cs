using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>
/// The lock discipline the systematic engine relies on (docs/design-notes/0011-slot-lock-seam.md): every member
/// except the immutable Capacity and MaxUnusedWarm takes the owned lock exactly once, never nested, and releases
/// it; queries hand out copies, never internal arrays.
/// </summary>
public sealed class SlotAllocatorLockingTests
{
    private static readonly SlotAffinity K1 = new(1, 0);

    public static TheoryData<string> Members() =>
    [
        "IsEmpty", "EmptySlotCount", "UnusedWarmCount", "UnusedBytesResident", "GetWarmList", "GetAffinities",
        "GetAffineList", "GetSlotState", "CheckInvariants", "TryAllocate", "TryAllocateAffineAndClear", "Free",
    ];

    [Theory]
    [MemberData(nameof(Members))]
    public void EveryMemberTakesTheLockExactlyOnce(string member)
    {
        var seam = new RecordingLock();
        var pool = new SlotAllocator(4, 2, seam);
        Assert.True(pool.TryAllocate(K1, out int used));
        Assert.True(pool.TryAllocate(K1, out int warm));
        pool.Free(warm, 10);
        int before = seam.Entered;

        Action call = member switch
        {
            "IsEmpty" => () => _ = pool.IsEmpty,
            "EmptySlotCount" => () => _ = pool.EmptySlotCount,
            "UnusedWarmCount" => () => _ = pool.UnusedWarmCount,
            "UnusedBytesResident" => () => _ = pool.UnusedBytesResident,
            "GetWarmList" => () => pool.GetWarmList(),
            "GetAffinities" => () => pool.GetAffinities(),
            "GetAffineList" => () => pool.GetAffineList(K1),
            "GetSlotState" => () => pool.GetSlotState(0),
            "CheckInvariants" => pool.CheckInvariants,
            "TryAllocate" => () => pool.TryAllocate(null, out _),
            "TryAllocateAffineAndClear" => () => pool.TryAllocateAffineAndClear(K1, out _),
            "Free" => () => pool.Free(used, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(member), member, "unknown member"),
        };
        call();

        Assert.Equal(before + 1, seam.Entered);
        Assert.False(seam.Held);
    }

    [Fact]
    public void ImmutablePropertiesTakeNoLock()
    {
        var seam = new RecordingLock();
        var pool = new SlotAllocator(4, 2, seam);
        Assert.Equal(4, pool.Capacity);
        Assert.Equal(2, pool.MaxUnusedWarm);
        Assert.Equal(0, seam.Entered);
    }

    [Fact]
    public void QueriesReturnCopies()
    {
        var pool = new SlotAllocator(4, 4);
        Assert.True(pool.TryAllocate(K1, out int slot));
        pool.Free(slot, 1);
        string before = SlotSnapshot.Take(pool);

        pool.GetWarmList()[0] = 3;
        pool.GetAffineList(K1)[0] = 3;
        pool.GetAffinities()[0] = new SlotAffinity(9, 9);

        Assert.Equal(before, SlotSnapshot.Take(pool));
        pool.CheckInvariants();
    }

    [Fact]
    public void AffinitiesAreSortedByModuleThenMemory()
    {
        var pool = new SlotAllocator(8, 8);
        SlotAffinity[] keys = [new(2, 0), new(1, 5), new(-3, 7), new(1, 3)];
        var slots = new List<int>();
        foreach (var key in keys)
        {
            Assert.True(pool.TryAllocate(key, out int slot));
            slots.Add(slot);
        }

        foreach (int slot in slots)
        {
            pool.Free(slot, 0);
        }

        Assert.Equal([new(-3, 7), new(1, 3), new(1, 5), new(2, 0)], pool.GetAffinities());
    }

    private sealed class RecordingLock : IAllocatorLock
    {
        public bool Held { get; private set; }

        public int Entered { get; private set; }

        public void Enter()
        {
            Assert.False(Held, "the allocator entered its lock while holding it");
            Held = true;
            Entered++;
        }

        public void Exit()
        {
            Assert.True(Held, "the allocator exited a lock it did not hold");
            Held = false;
        }
    }
}
