using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// The slice of the sharded slot allocator the sharded scenarios drive, so the same scenario runs against the real
/// <see cref="ShardedSlotAllocator"/> and against a mutant. Every allocation names its home shard: the scenarios must
/// be deterministic, and which real thread runs a logical thread is not part of a schedule.
/// </summary>
public interface IShardedSlotPool
{
    /// <summary>The number of slots over all shards.</summary>
    int Capacity { get; }

    /// <summary>The number of shards.</summary>
    int ShardCount { get; }

    /// <summary>Slots not Used, over all shards.</summary>
    int EmptySlotCount { get; }

    /// <summary>Allocates a slot, trying <paramref name="homeShard"/> first.</summary>
    bool TryAllocate(int homeShard, SlotAffinity? affinity, out int slotId);

    /// <summary>Returns a Used slot to its shard.</summary>
    void Free(int slotId, long bytesResident);

    /// <summary>Returns a batch of Used slots.</summary>
    void FreeMany(ReadOnlySpan<int> slotIds, ReadOnlySpan<long> bytesResident);

    /// <summary>The state of one slot.</summary>
    SlotState GetSlotState(int slotId);

    /// <summary>The shard that owns <paramref name="slotId"/>; takes no lock.</summary>
    int GetShardOf(int slotId);

    /// <summary>The warm list of <paramref name="shard"/>, as global ids; takes that shard's lock only.</summary>
    int[] GetWarmList(int shard);

    /// <summary>Throws when an invariant of any shard, or the partition of the ids, is broken.</summary>
    void CheckInvariants();

    /// <summary>Throws when an invariant of <paramref name="shard"/> is broken; takes that shard's lock only.</summary>
    void CheckShardInvariants(int shard);
}

/// <summary>Builds a sharded pool of the given capacity, shard count and warm threshold, shard <c>s</c> on lock <c>locks(s)</c>.</summary>
public delegate IShardedSlotPool ShardedSlotPoolFactory(Func<int, IAllocatorLock> locks, int capacity, int shardCount, int maxUnusedWarm);

/// <summary>The real allocator behind <see cref="IShardedSlotPool"/>.</summary>
public sealed class RealShardedSlotPool(ShardedSlotAllocator allocator) : IShardedSlotPool
{
    /// <summary>The real <see cref="ShardedSlotAllocator"/>.</summary>
    public static ShardedSlotPoolFactory Factory { get; } =
        (locks, capacity, shardCount, threshold) => new RealShardedSlotPool(new ShardedSlotAllocator(capacity, shardCount, threshold, locks));

    /// <inheritdoc />
    public int Capacity => allocator.Capacity;

    /// <inheritdoc />
    public int ShardCount => allocator.ShardCount;

    /// <inheritdoc />
    public int EmptySlotCount => allocator.EmptySlotCount;

    /// <inheritdoc />
    public bool TryAllocate(int homeShard, SlotAffinity? affinity, out int slotId) => allocator.TryAllocate(homeShard, affinity, out slotId);

    /// <inheritdoc />
    public void Free(int slotId, long bytesResident) => allocator.Free(slotId, bytesResident);

    /// <inheritdoc />
    public void FreeMany(ReadOnlySpan<int> slotIds, ReadOnlySpan<long> bytesResident) => allocator.FreeMany(slotIds, bytesResident);

    /// <inheritdoc />
    public SlotState GetSlotState(int slotId) => allocator.GetSlotState(slotId);

    /// <inheritdoc />
    public int GetShardOf(int slotId) => allocator.GetShardOf(slotId);

    /// <inheritdoc />
    public int[] GetWarmList(int shard) => allocator.GetWarmList(shard);

    /// <inheritdoc />
    public void CheckInvariants() => allocator.CheckInvariants();

    /// <inheritdoc />
    public void CheckShardInvariants(int shard) => allocator.CheckShardInvariants(shard);
}
