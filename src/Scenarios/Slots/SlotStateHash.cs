using Veralloc.Allocators.Slots;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// An FNV-1a hash of what a slot pool lets a caller observe (counters, lists, slot states), the fingerprint of a
/// pool's guarded state: it changes whenever that state does.
/// </summary>
public struct SlotStateHash
{
    private ulong _hash = 14695981039346656037UL;

    /// <summary>Starts an empty hash.</summary>
    public SlotStateHash()
    {
    }

    /// <summary>The hash so far.</summary>
    public readonly long Value => (long)_hash;

    /// <summary>Mixes in one number (a counter, a slot id).</summary>
    public void Add(long value) => _hash = (_hash ^ (ulong)value) * 1099511628211UL;

    /// <summary>Mixes in one slot's kind, resident bytes and affinity.</summary>
    public void Add(SlotState state)
    {
        Add((long)state.Kind);
        Add(state.BytesResident);
        Add(state.Affinity?.ModuleId ?? -1);
        Add(state.Affinity?.MemoryIndex ?? -1);
    }
}
