namespace Veralloc.Allocators;

/// <summary>
/// An allocator of byte ranges identified by their offset in some address space. Every Veralloc range
/// allocator implements it, so benchmarks, trace replay and fallbacks treat them alike.
/// </summary>
/// <remarks>
/// Out of memory is a normal outcome: <see cref="TryAllocate"/> returns false and changes nothing.
/// Invalid arguments throw and change nothing. Implementations are not thread-safe unless they say so.
/// </remarks>
public interface IOffsetAllocator
{
    /// <summary>Allocates at least <paramref name="size"/> bytes aligned to <paramref name="alignment"/>.</summary>
    /// <param name="size">The number of bytes requested; must be positive.</param>
    /// <param name="alignment">A power of two no larger than the allocator's maximum.</param>
    /// <param name="offset">The allocation's offset, when the call succeeds.</param>
    /// <returns>False when no block fits and the allocator cannot grow; nothing changes then.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The size or alignment breaks the allocator's rules.</exception>
    bool TryAllocate(long size, long alignment, out long offset);

    /// <summary>Frees an allocation, passing the size and alignment it was allocated with.</summary>
    /// <param name="offset">The offset <see cref="TryAllocate"/> returned.</param>
    /// <param name="size">The size passed to <see cref="TryAllocate"/>.</param>
    /// <param name="alignment">The alignment passed to <see cref="TryAllocate"/>.</param>
    /// <exception cref="ArgumentException">The offset is not a live allocation or disagrees with its size or alignment (what is detected depends on the allocator); nothing changes.</exception>
    void Free(long offset, long size, long alignment);

    /// <summary>Checks every invariant of the allocator's state.</summary>
    /// <exception cref="Veralloc.Invariants.InvariantViolationException">An invariant is broken; the exception names its id and the offending element.</exception>
    void CheckInvariants();
}
