using Veralloc.Allocators.Slots;

namespace Veralloc.Tests.Property.Models;

/// <summary>
/// Reference model of the pooling slot allocator, written straight from SEED-SEMANTICS §3 with plain lists and
/// linear searches: no links, no counters that could drift. The property tests compare <see cref="SlotAllocator"/>
/// with it after every command.
/// </summary>
internal sealed class SlotModel
{
    private readonly SlotKind[] _kind;
    private readonly SlotAffinity?[] _affinity;
    private readonly long[] _bytes;

    // Warm slots in the order they were freed: index 0 is the least recently freed.
    private readonly List<int> _warm = [];

    // Per key, its warm slots in the order they were freed.
    private readonly Dictionary<SlotAffinity, List<int>> _affine = [];

    private int _lastCold;

    public SlotModel(int capacity, int maxUnusedWarm)
    {
        Capacity = capacity;
        MaxUnusedWarm = maxUnusedWarm;
        _kind = new SlotKind[capacity];
        _affinity = new SlotAffinity?[capacity];
        _bytes = new long[capacity];
    }

    public int Capacity { get; }

    public int MaxUnusedWarm { get; }

    public bool IsEmpty => !_kind.Contains(SlotKind.Used);

    public int EmptySlotCount => (Capacity - _lastCold) + _warm.Count;

    public int UnusedWarmCount => _warm.Count;

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

    public int[] GetWarmList() => [.. _warm];

    public SlotAffinity[] GetAffinities() => [.. _affine.Keys.OrderBy(k => k.ModuleId).ThenBy(k => k.MemoryIndex)];

    public int[] GetAffineList(SlotAffinity key) => _affine.TryGetValue(key, out var list) ? [.. list] : [];

    public SlotState GetSlotState(int slot) => new(_kind[slot], _affinity[slot], _bytes[slot]);

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
}
