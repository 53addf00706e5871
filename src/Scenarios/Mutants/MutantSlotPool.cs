using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;
using Veralloc.Invariants;
using Veralloc.Scenarios.Slots;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Scenarios.Mutants;

/// <summary>
/// A compact, mutable test copy of the slot allocator's logic (SEED-SEMANTICS §3) on the same
/// <see cref="IAllocatorLock"/> seam, with one <see cref="SlotMutation"/> injected. One copy with a switch, not one
/// copy per bug, so the mutants differ from the faithful version only where the enum says.
/// </summary>
/// <remarks>Not for production: no argument validation beyond what the scenarios need, no hot-path tuning.</remarks>
public sealed class MutantSlotPool : ISlotPool
{
    private const int None = -1;

    private readonly IAllocatorLock _lock;
    private readonly SlotMutation _mutation;
    private readonly int _threshold;
    private readonly SlotKind[] _kind;
    private readonly SlotAffinity?[] _affinity;
    private readonly long[] _bytes;
    private readonly int[] _warmPrev;
    private readonly int[] _warmNext;
    private readonly int[] _affinePrev;
    private readonly int[] _affineNext;
    private readonly Dictionary<SlotAffinity, (int Head, int Tail)> _affine = [];
    private int _warmHead = None;
    private int _warmTail = None;
    private int _lastCold;
    private int _unusedWarm;
    private long _unusedBytes;

    /// <summary>Creates a pool of <paramref name="capacity"/> cold slots with <paramref name="mutation"/> injected.</summary>
    public MutantSlotPool(int capacity, int maxUnusedWarm, IAllocatorLock lockSeam, SlotMutation mutation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(maxUnusedWarm);
        _lock = lockSeam ?? throw new ArgumentNullException(nameof(lockSeam));
        _mutation = mutation;
        _threshold = maxUnusedWarm;
        Capacity = capacity;
        _kind = new SlotKind[capacity];
        _affinity = new SlotAffinity?[capacity];
        _bytes = new long[capacity];
        _warmPrev = Links(capacity);
        _warmNext = Links(capacity);
        _affinePrev = Links(capacity);
        _affineNext = Links(capacity);
    }

    /// <summary>A factory for the scenario shapes.</summary>
    public static SlotPoolFactory Factory(SlotMutation mutation) =>
        (lockSeam, capacity, threshold) => new MutantSlotPool(capacity, threshold, lockSeam, mutation);

    /// <inheritdoc />
    public int Capacity { get; }

    /// <inheritdoc />
    public int EmptySlotCount => Locked(() => Capacity - _lastCold + _unusedWarm);

    /// <inheritdoc />
    public long UnusedBytesResident => Locked(() => _unusedBytes);

    /// <inheritdoc />
    public int[] GetWarmList() => Locked(() =>
    {
        var list = new List<int>();
        for (var slot = _warmHead; slot != None && list.Count <= Capacity; slot = _warmNext[slot])
        {
            list.Add(slot);
        }

        return list.ToArray();
    });

    /// <inheritdoc />
    public SlotState GetSlotState(int slotId) => Locked(() => new SlotState(_kind[slotId], _affinity[slotId], _bytes[slotId]));

    /// <inheritdoc />
    public bool TryAllocate(SlotAffinity? affinity, out int slotId)
    {
        _lock.Enter();
        var slot = Choose(affinity);
        if (_mutation == SlotMutation.CheckThenActSplit && slot != None)
        {
            // BUG: the choice is stale by the time it is acted on.
            _lock.Exit();
            _lock.Enter();
        }

        if (slot != None && _mutation == SlotMutation.LockReleasedEarly && _kind[slot] == SlotKind.UnusedCold)
        {
            // BUG: this path lets go of the lock before it has finished with the cold cursor.
            _lock.Exit();
            Take(slot, affinity);
            slotId = slot;
            return true;
        }

        if (slot != None)
        {
            Take(slot, affinity);
        }

        _lock.Exit();
        slotId = slot;
        return slot != None;
    }

    /// <inheritdoc />
    public bool TryAllocateAffineAndClear(SlotAffinity affinity, out int slotId)
    {
        _lock.Enter();
        var slot = _affine.TryGetValue(affinity, out var list) ? list.Tail : None;
        if (slot != None)
        {
            Take(slot, null);
        }

        _lock.Exit();
        slotId = slot;
        return slot != None;
    }

    /// <inheritdoc />
    public void Free(int slotId, long bytesResident)
    {
        // BUG (CounterOutsideLock): the counter is read before the lock is taken.
        var warmBefore = _unusedWarm;
        _lock.Enter();
        if (_kind[slotId] != SlotKind.Used)
        {
            _lock.Exit();
            throw new InvalidOperationException($"Slot {slotId} is {_kind[slotId]}, not Used: double free.");
        }

        var bytesBefore = _unusedBytes;
        if (_mutation == SlotMutation.LostUpdateResidentBytes)
        {
            // BUG: the total read above goes stale while the lock is let go.
            _lock.Exit();
            _lock.Enter();
        }

        _kind[slotId] = SlotKind.UnusedWarm;
        _bytes[slotId] = bytesResident;
        AppendWarm(slotId);
        if (_affinity[slotId] is { } key)
        {
            AppendAffine(key, slotId);
        }

        _unusedWarm = _mutation == SlotMutation.CounterOutsideLock ? warmBefore + 1 : _unusedWarm + 1;
        _unusedBytes = bytesBefore + bytesResident;
        _lock.Exit();
    }

    /// <inheritdoc />
    public void CheckInvariants()
    {
        InvariantViolation? violation;
        _lock.Enter();
        try
        {
            violation = FindViolation();
        }
        finally
        {
            _lock.Exit();
        }

        Invariant.ThrowIfViolated(violation);
    }

    private int Choose(SlotAffinity? affinity)
    {
        if (affinity is { } key && _affine.TryGetValue(key, out var list))
        {
            return list.Tail;
        }

        if (_unusedWarm >= _threshold && _warmHead != None)
        {
            return _warmHead;
        }

        if (_lastCold < Capacity)
        {
            return _lastCold;
        }

        return _warmHead;
    }

    private void Take(int slot, SlotAffinity? affinity)
    {
        if (_kind[slot] == SlotKind.UnusedCold)
        {
            _lastCold++;
        }
        else
        {
            UnlinkWarm(slot);
            _unusedWarm--;
            _unusedBytes -= _bytes[slot];
            _bytes[slot] = 0;
            if (_mutation == SlotMutation.UnlinkInTwoSections)
            {
                // BUG: between these sections the slot is warm yet missing from the warm list.
                _lock.Exit();
                _lock.Enter();
            }

            if (_affinity[slot] is { } key)
            {
                UnlinkAffine(key, slot);
            }
        }

        _kind[slot] = SlotKind.Used;
        _affinity[slot] = affinity;
    }

    private void AppendWarm(int slot)
    {
        _warmPrev[slot] = _warmTail;
        _warmNext[slot] = None;
        if (_warmTail == None)
        {
            _warmHead = slot;
        }
        else
        {
            _warmNext[_warmTail] = slot;
        }

        _warmTail = slot;
    }

    private void UnlinkWarm(int slot)
    {
        var prev = _warmPrev[slot];
        var next = _warmNext[slot];
        if (prev == None)
        {
            _warmHead = next;
        }
        else
        {
            _warmNext[prev] = next;
        }

        if (next == None)
        {
            _warmTail = prev;
        }
        else
        {
            _warmPrev[next] = prev;
        }

        _warmPrev[slot] = None;
        _warmNext[slot] = None;
    }

    private void AppendAffine(SlotAffinity key, int slot)
    {
        _affineNext[slot] = None;
        if (_affine.TryGetValue(key, out var list))
        {
            _affinePrev[slot] = list.Tail;
            _affineNext[list.Tail] = slot;
            _affine[key] = (list.Head, slot);
        }
        else
        {
            _affinePrev[slot] = None;
            _affine[key] = (slot, slot);
        }
    }

    private void UnlinkAffine(SlotAffinity key, int slot)
    {
        var (head, tail) = _affine[key];
        var prev = _affinePrev[slot];
        var next = _affineNext[slot];
        head = prev == None ? next : head;
        tail = next == None ? prev : tail;
        if (prev != None)
        {
            _affineNext[prev] = next;
        }

        if (next != None)
        {
            _affinePrev[next] = prev;
        }

        if (head == None)
        {
            _affine.Remove(key);
        }
        else
        {
            _affine[key] = (head, tail);
        }

        _affinePrev[slot] = None;
        _affineNext[slot] = None;
    }

    private InvariantViolation? FindViolation()
    {
        var warmSeen = 0;
        var prev = None;
        for (var slot = _warmHead; slot != None; slot = _warmNext[slot])
        {
            if (warmSeen > Capacity || _warmPrev[slot] != prev)
            {
                return new InvariantViolation(SlotInvariantIds.Links, $"slot {slot}", $"warm list broken: prev is {_warmPrev[slot]}, expected {prev} (or a cycle)");
            }

            if (_kind[slot] != SlotKind.UnusedWarm)
            {
                return new InvariantViolation(SlotInvariantIds.Warm, $"slot {slot}", $"on the warm list but {_kind[slot]}");
            }

            warmSeen++;
            prev = slot;
        }

        if (prev != _warmTail)
        {
            return new InvariantViolation(SlotInvariantIds.Links, "warm list", $"walk ends at {prev} but tail is {_warmTail}");
        }

        var warmSlots = 0;
        var keyed = 0;
        long bytes = 0;
        for (var slot = 0; slot < Capacity; slot++)
        {
            if ((slot >= _lastCold) != (_kind[slot] == SlotKind.UnusedCold))
            {
                return new InvariantViolation(SlotInvariantIds.Cold, $"slot {slot}", $"{_kind[slot]} with lastCold {_lastCold}");
            }

            if (_kind[slot] == SlotKind.UnusedWarm)
            {
                warmSlots++;
                bytes += _bytes[slot];
                keyed += _affinity[slot] is null ? 0 : 1;
            }
        }

        if (warmSlots != warmSeen || warmSeen != _unusedWarm)
        {
            return new InvariantViolation(SlotInvariantIds.Warm, "warm list", $"{warmSlots} warm slots, {warmSeen} on the list, unusedWarm {_unusedWarm}");
        }

        if (bytes != _unusedBytes)
        {
            return new InvariantViolation(SlotInvariantIds.Bytes, "pool", $"warm slots hold {bytes} resident bytes, the total says {_unusedBytes}");
        }

        var affineSeen = 0;
        foreach (var (key, (head, tail)) in _affine)
        {
            var last = None;
            var length = 0;
            for (var slot = head; slot != None; slot = _affineNext[slot])
            {
                if (length > Capacity || _affinePrev[slot] != last || _kind[slot] != SlotKind.UnusedWarm || _affinity[slot] != key)
                {
                    return new InvariantViolation(SlotInvariantIds.Affine, $"slot {slot}", $"affine list of m{key.ModuleId} broken ({_kind[slot]}, prev {_affinePrev[slot]}, expected {last})");
                }

                length++;
                last = slot;
            }

            if (last != tail || length == 0)
            {
                return new InvariantViolation(SlotInvariantIds.Affine, $"m{key.ModuleId}", $"affine list ends at {last}, tail is {tail}, length {length}");
            }

            affineSeen += length;
        }

        return affineSeen == keyed
            ? null
            : new InvariantViolation(SlotInvariantIds.Affine, "pool", $"{keyed} keyed warm slots but {affineSeen} affine list entries");
    }

    private T Locked<T>(Func<T> read)
    {
        _lock.Enter();
        try
        {
            return read();
        }
        finally
        {
            _lock.Exit();
        }
    }

    private static int[] Links(int capacity)
    {
        var links = new int[capacity];
        Array.Fill(links, None);
        return links;
    }
}
