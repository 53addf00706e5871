namespace Veralloc.Allocators.Slots;

/// <summary>
/// The affinity key of a slot: the module and the memory within it whose image a slot last held.
/// Reusing a slot for the same key keeps that image warm (docs/design-notes/0010-slot-affinity-key.md).
/// </summary>
/// <param name="ModuleId">The module's id.</param>
/// <param name="MemoryIndex">The index of the memory within the module.</param>
/// <remarks>
/// An 8-byte value type with generated, allocation-free <see cref="IEquatable{T}"/> equality and hashing, so
/// the allocator's one dictionary looks it up without boxing. Ordering (for
/// <see cref="SlotAllocator.GetAffinities"/>) is by <see cref="ModuleId"/>, then <see cref="MemoryIndex"/>.
/// </remarks>
public readonly record struct SlotAffinity(int ModuleId, int MemoryIndex) : IComparable<SlotAffinity>
{
    /// <summary>Orders by <see cref="ModuleId"/>, then by <see cref="MemoryIndex"/>.</summary>
    /// <param name="other">The key to compare with.</param>
    /// <returns>Negative, zero or positive as this key sorts before, with or after <paramref name="other"/>.</returns>
    public int CompareTo(SlotAffinity other)
    {
        int byModule = ModuleId.CompareTo(other.ModuleId);
        return byModule != 0 ? byModule : MemoryIndex.CompareTo(other.MemoryIndex);
    }
}
