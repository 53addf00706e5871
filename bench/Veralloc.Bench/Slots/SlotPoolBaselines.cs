using System.Collections.Concurrent;

namespace Veralloc.Bench.Slots;

/// <summary>The simplest thread-safe slot pool: a stack of free ids behind a C# <c>lock</c>. The baseline.</summary>
public sealed class LockStackSlotPool
{
    private readonly Lock _gate = new();
    private readonly Stack<int> _free;

    public LockStackSlotPool(int capacity)
    {
        _free = new Stack<int>(capacity);
        for (int slot = capacity - 1; slot >= 0; slot--)
        {
            _free.Push(slot);
        }
    }

    public bool TryAllocate(out int slot)
    {
        lock (_gate)
        {
            return _free.TryPop(out slot);
        }
    }

    public void Free(int slot)
    {
        lock (_gate)
        {
            _free.Push(slot);
        }
    }
}

/// <summary>A lock-free-ish pool on <see cref="ConcurrentBag{T}"/> (thread-local lists, stealing when empty).</summary>
public sealed class ConcurrentBagSlotPool
{
    private readonly ConcurrentBag<int> _free = [];

    public ConcurrentBagSlotPool(int capacity)
    {
        for (int slot = 0; slot < capacity; slot++)
        {
            _free.Add(slot);
        }
    }

    public bool TryAllocate(out int slot) => _free.TryTake(out slot);

    public void Free(int slot) => _free.Add(slot);
}
