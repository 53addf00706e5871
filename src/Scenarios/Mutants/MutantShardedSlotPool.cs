using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;
using Veralloc.Scenarios.Slots;

namespace Veralloc.Scenarios.Mutants;

/// <summary>
/// A sharded pool composed of real <see cref="SlotAllocator"/> shards through their public API, with one
/// <see cref="ShardMutation"/> in how allocations move between shards. Shard <c>s</c> holds global ids
/// <c>s * capacity / shardCount ..</c>; the capacity must divide evenly.
/// </summary>
/// <remarks>Not for production: the faithful composition is <see cref="ShardedSlotAllocator"/>, which passes the same shapes.</remarks>
public sealed class MutantShardedSlotPool : IShardedSlotPool
{
    private readonly SlotAllocator[] _shards;
    private readonly int _shardCapacity;
    private readonly ShardMutation _mutation;

    /// <summary>Creates <paramref name="shardCount"/> shards of <c>capacity / shardCount</c> slots, shard <c>s</c> on <c>locks(s)</c>.</summary>
    public MutantShardedSlotPool(Func<int, IAllocatorLock> locks, int capacity, int shardCount, int maxUnusedWarm, ShardMutation mutation)
    {
        ArgumentNullException.ThrowIfNull(locks);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        if (capacity % shardCount != 0 || maxUnusedWarm % shardCount != 0)
        {
            throw new ArgumentException($"capacity {capacity} and maxUnusedWarm {maxUnusedWarm} must be multiples of shardCount {shardCount}.", nameof(capacity));
        }

        _shardCapacity = capacity / shardCount;
        _mutation = mutation;
        _shards = new SlotAllocator[shardCount];
        for (var shard = 0; shard < shardCount; shard++)
        {
            _shards[shard] = new SlotAllocator(_shardCapacity, maxUnusedWarm / shardCount, locks(shard));
        }
    }

    /// <summary>A factory for the sharded scenario shapes.</summary>
    public static ShardedSlotPoolFactory Factory(ShardMutation mutation) =>
        (locks, capacity, shardCount, threshold) => new MutantShardedSlotPool(locks, capacity, shardCount, threshold, mutation);

    /// <inheritdoc />
    public int Capacity => _shardCapacity * _shards.Length;

    /// <inheritdoc />
    public int ShardCount => _shards.Length;

    /// <inheritdoc />
    public int EmptySlotCount => _shards.Sum(shard => shard.EmptySlotCount);

    /// <inheritdoc />
    public bool TryAllocate(int homeShard, SlotAffinity? affinity, out int slotId)
    {
        // BUG (ExhaustAfterHomeShard): one probe. BUG (ProbeWithoutRecheck): every probe, but no retry under every lock.
        var probes = _mutation == ShardMutation.ExhaustAfterHomeShard ? 1 : _shards.Length;
        for (var probe = 0; probe < probes; probe++)
        {
            var shard = (homeShard + probe) % _shards.Length;
            if (_shards[shard].TryAllocate(affinity, out var local))
            {
                slotId = (shard * _shardCapacity) + local;
                return true;
            }
        }

        slotId = -1;
        return false;
    }

    /// <inheritdoc />
    public void Free(int slotId, long bytesResident) => _shards[slotId / _shardCapacity].Free(slotId % _shardCapacity, bytesResident);

    /// <inheritdoc />
    public void FreeMany(ReadOnlySpan<int> slotIds, ReadOnlySpan<long> bytesResident)
    {
        for (var i = 0; i < slotIds.Length; i++)
        {
            Free(slotIds[i], bytesResident[i]);
        }
    }

    /// <inheritdoc />
    public SlotState GetSlotState(int slotId) => _shards[slotId / _shardCapacity].GetSlotState(slotId % _shardCapacity);

    /// <inheritdoc />
    public int GetShardOf(int slotId) => slotId / _shardCapacity;

    /// <inheritdoc />
    public int[] GetWarmList(int shard) => [.. _shards[shard].GetWarmList().Select(local => (shard * _shardCapacity) + local)];

    /// <inheritdoc />
    public void CheckInvariants()
    {
        for (var shard = 0; shard < _shards.Length; shard++)
        {
            CheckShardInvariants(shard);
        }
    }

    /// <inheritdoc />
    public void CheckShardInvariants(int shard) => _shards[shard].CheckInvariants();
}
