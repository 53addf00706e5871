using Veralloc.Allocators.Slots;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// Reference model of the pooling slot allocator, written straight from SEED-SEMANTICS §3 with plain lists and
/// linear searches: no links, no counters that could drift. The property tests (tests/property) compare
/// <see cref="SlotAllocator"/> with it after every command, and the slot scenarios' linearizability checks use it as
/// the sequential specification their concurrent histories must agree with.
/// </summary>
public sealed class SlotModel
{
    private readonly SlotKind[] _kind;
    private readonly SlotAffinity?[] _affinity;
    private readonly long[] _bytes;

    // Warm slots in the order they were freed: index 0 is the least recently freed.
    private readonly List<int> _warm = [];

    // Per key, its warm slots in the order they were freed.
    private readonly Dictionary<SlotAffinity, List<int>> _affine = [];

    private int _lastCold;

    /// <summary>A pool of <paramref name="capacity"/> cold slots with warm threshold <paramref name="maxUnusedWarm"/>.</summary>
    /// <param name="capacity">The number of slots.</param>
    /// <param name="maxUnusedWarm">The warm threshold of §3's alloc rule.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public SlotModel(int capacity, int maxUnusedWarm)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(maxUnusedWarm);
        Capacity = capacity;
        MaxUnusedWarm = maxUnusedWarm;
        _kind = new SlotKind[capacity];
        _affinity = new SlotAffinity?[capacity];
        _bytes = new long[capacity];
    }

    /// <summary>The number of slots.</summary>
    public int Capacity { get; }

    /// <summary>The warm threshold.</summary>
    public int MaxUnusedWarm { get; }

    /// <summary>True when no slot is Used.</summary>
    public bool IsEmpty => !_kind.Contains(SlotKind.Used);

    /// <summary>Slots not Used: the cold ones plus the warm ones.</summary>
    public int EmptySlotCount => (Capacity - _lastCold) + _warm.Count;

    /// <summary>The number of warm slots.</summary>
    public int UnusedWarmCount => _warm.Count;

    /// <summary>The resident bytes of the warm slots, summed.</summary>
    public long UnusedBytesResident => _warm.Sum(slot => _bytes[slot]);

    /// <summary>The Used slots in increasing id order (how tests pick "a random used slot" by index).</summary>
    public List<int> UsedSlots() => Enumerable.Range(0, Capacity).Where(slot => _kind[slot] == SlotKind.Used).ToList();

    /// <summary>§3 Alloc(key?): affine tail, else cold or warm head by the threshold rule; -1 when full.</summary>
    public int Allocate(SlotAffinity? key)
    {
        int slot = -1;
        if (key is SlotAffinity k && _affine.TryGetValue(k, out var list))
        {
            slot = list[^1];
        }
        else if (_warm.Count < MaxUnusedWarm)
        {
            slot = _lastCold < Capacity ? _lastCold : (_warm.Count > 0 ? _warm[0] : -1);
        }
        else
        {
            slot = _warm.Count > 0 ? _warm[0] : (_lastCold < Capacity ? _lastCold : -1);
        }

        if (slot == -1)
        {
            return -1;
        }

        Take(slot);
        _affinity[slot] = key;
        return slot;
    }

    /// <summary>§3 AllocAffineAndClear(key): only the affine step; the slot becomes Used with no key.</summary>
    public int AllocateAffineAndClear(SlotAffinity key)
    {
        if (!_affine.TryGetValue(key, out var list))
        {
            return -1;
        }

        int slot = list[^1];
        Take(slot);
        _affinity[slot] = null;
        return slot;
    }

    /// <summary>§3 Free(id, bytes); returns the exception type the real allocator must throw, or null.</summary>
    public Type? Free(int slot, long bytesResident)
    {
        if (slot < 0 || slot >= Capacity || bytesResident < 0)
        {
            return typeof(ArgumentOutOfRangeException);
        }

        if (_kind[slot] != SlotKind.Used)
        {
            return typeof(InvalidOperationException);
        }

        if ((Int128)UnusedBytesResident + bytesResident > long.MaxValue)
        {
            return typeof(ArgumentOutOfRangeException);
        }

        _kind[slot] = SlotKind.UnusedWarm;
        _bytes[slot] = bytesResident;
        _warm.Add(slot);
        if (_affinity[slot] is SlotAffinity key)
        {
            if (!_affine.TryGetValue(key, out var list))
            {
                list = [];
                _affine[key] = list;
            }

            list.Add(slot);
        }

        return null;
    }

    /// <summary>The warm list, least recently freed first.</summary>
    public int[] GetWarmList() => [.. _warm];

    /// <summary>The keys that have warm slots, in key order.</summary>
    public SlotAffinity[] GetAffinities() => [.. _affine.Keys.OrderBy(k => k.ModuleId).ThenBy(k => k.MemoryIndex)];

    /// <summary>The warm slots of <paramref name="key"/>, least recently freed first.</summary>
    public int[] GetAffineList(SlotAffinity key) => _affine.TryGetValue(key, out var list) ? [.. list] : [];

    /// <summary>The state of one slot.</summary>
    public SlotState GetSlotState(int slot) => new(_kind[slot], _affinity[slot], _bytes[slot]);

    /// <summary>An independent copy: operations on either leave the other as it was.</summary>
    /// <returns>The copy.</returns>
    public SlotModel Clone()
    {
        var copy = new SlotModel(Capacity, MaxUnusedWarm) { _lastCold = _lastCold };
        _kind.CopyTo(copy._kind, 0);
        _affinity.CopyTo(copy._affinity, 0);
        _bytes.CopyTo(copy._bytes, 0);
        copy._warm.AddRange(_warm);
        foreach (var (key, slots) in _affine)
        {
            copy._affine.Add(key, [.. slots]);
        }

        return copy;
    }

    /// <summary>
    /// Compares models by state: shape, every slot's kind, key and bytes, the cold cursor, the warm list and the
    /// affine lists. Two models in the same state answer every future operation alike.
    /// </summary>
    public static IEqualityComparer<SlotModel> StateComparer { get; } = new SameState();

    private void Take(int slot)
    {
        if (_kind[slot] == SlotKind.UnusedCold)
        {
            if (slot != _lastCold)
            {
                throw new InvalidOperationException($"model bug: cold slot {slot} taken but lastCold is {_lastCold}");
            }

            _lastCold++;
        }
        else
        {
            _warm.Remove(slot);
            if (_affinity[slot] is SlotAffinity key)
            {
                _affine[key].Remove(slot);
                if (_affine[key].Count == 0)
                {
                    _affine.Remove(key);
                }
            }
        }

        _kind[slot] = SlotKind.Used;
        _bytes[slot] = 0;
    }

    private sealed class SameState : IEqualityComparer<SlotModel>
    {
        public bool Equals(SlotModel? x, SlotModel? y)
        {
            if (ReferenceEquals(x, y))
            {
                return true;
            }

            if (x is null || y is null)
            {
                return false;
            }

            return x.Capacity == y.Capacity
                && x.MaxUnusedWarm == y.MaxUnusedWarm
                && x._lastCold == y._lastCold
                && x._kind.AsSpan().SequenceEqual(y._kind)
                && x._affinity.AsSpan().SequenceEqual(y._affinity)
                && x._bytes.AsSpan().SequenceEqual(y._bytes)
                && x._warm.SequenceEqual(y._warm)
                && x._affine.Count == y._affine.Count
                && x._affine.All(entry => y._affine.TryGetValue(entry.Key, out var other) && entry.Value.SequenceEqual(other));
        }

        public int GetHashCode(SlotModel model)
        {
            ArgumentNullException.ThrowIfNull(model);
            var hash = new HashCode();
            hash.Add(model._lastCold);
            foreach (var slot in model._warm)
            {
                hash.Add(slot);
            }

            for (var slot = 0; slot < model.Capacity; slot++)
            {
                hash.Add(model._kind[slot]);
                hash.Add(model._affinity[slot]);
                hash.Add(model._bytes[slot]);
            }

            return hash.ToHashCode();
        }
    }
}
