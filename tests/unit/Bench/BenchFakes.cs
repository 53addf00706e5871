using Veralloc.Allocators;
using Veralloc.Bench.Replay;

namespace Veralloc.Tests.Unit.Bench;

/// <summary>A bump allocator that records every call, to see exactly what the replayer passes.</summary>
internal sealed class RecordingAllocator(long capacityBytes = long.MaxValue) : IOffsetAllocator
{
    private long _next = 16;

    public List<string> Calls { get; } = [];

    public int Live { get; private set; }

    public int InvariantChecks { get; private set; }

    public bool TryAllocate(long size, long alignment, out long offset)
    {
        offset = (_next + alignment - 1) & -alignment;
        if (offset + size > capacityBytes)
        {
            Calls.Add($"a {size} {alignment} -> full");
            offset = 0;
            return false;
        }

        _next = offset + size;
        Live++;
        Calls.Add($"a {size} {alignment} -> {offset}");
        return true;
    }

    public void Free(long offset, long size, long alignment)
    {
        Live--;
        Calls.Add($"f {offset} {size} {alignment}");
    }

    public void CheckInvariants() => InvariantChecks++;

    public ReplaySubject Subject() => new("recording", this, () => Live == 0 ? null : $"{Live} live");
}

/// <summary>
/// A slot pool that hands out the lowest free id and logs calls: simple enough that tests can predict every slot.
/// </summary>
internal struct LowestFreeSlotPool(int capacity) : ISlotPool
{
    private readonly bool[] _used = new bool[capacity];

    public readonly List<string> Log { get; } = [];

    public readonly int Capacity => _used.Length;

    public readonly bool TryAllocate(int key, out int slotId)
    {
        slotId = Array.IndexOf(_used, false);
        if (slotId < 0)
        {
            Log.Add($"s {key} -> full");
            return false;
        }

        _used[slotId] = true;
        Log.Add($"s {key} -> {slotId}");
        return true;
    }

    public readonly void Free(int slotId)
    {
        if (!_used[slotId])
        {
            throw new InvalidOperationException($"slot {slotId} is not used");
        }

        _used[slotId] = false;
        Log.Add($"free {slotId}");
    }

    public readonly void CheckInvariants()
    {
    }
}
