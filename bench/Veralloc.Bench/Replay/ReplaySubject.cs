using Veralloc.Allocators;

namespace Veralloc.Bench.Replay;

/// <summary>What the free space of an allocator looks like at one moment.</summary>
/// <param name="HeapBytes">Bytes the allocator manages (its heap or capacity).</param>
/// <param name="FreeBytes">Bytes currently free.</param>
/// <param name="FreeBlocks">Number of free blocks.</param>
/// <param name="LargestFreeBlockBytes">The largest free block.</param>
/// <param name="TailFreeBytes">The free block that ends at the heap's end (never-used space above the high-water mark, for an allocator with a fixed capacity), or 0.</param>
/// <param name="LargestInteriorFreeBlockBytes">The largest free block other than that tail block.</param>
public readonly record struct FreeSpaceSnapshot(long HeapBytes, long FreeBytes, int FreeBlocks, long LargestFreeBlockBytes,
    long TailFreeBytes = 0, long LargestInteriorFreeBlockBytes = 0)
{
    /// <summary>
    /// Like <see cref="LargestFreeShare"/> but ignoring the free tail at the heap's end, so allocators with a large
    /// fixed capacity compare fairly with ones that grow on demand: the largest interior free block ÷ interior free bytes.
    /// </summary>
    public double InteriorLargestFreeShare =>
        FreeBytes - TailFreeBytes == 0 ? 1.0 : (double)LargestInteriorFreeBlockBytes / (FreeBytes - TailFreeBytes);

    /// <summary>
    /// Largest free block ÷ free bytes: 1 means all free space is one block (no external fragmentation),
    /// near 0 means it is scattered in small pieces. 1 when nothing is free.
    /// </summary>
    public double LargestFreeShare => FreeBytes == 0 ? 1.0 : (double)LargestFreeBlockBytes / FreeBytes;
}

/// <summary>
/// An allocator under replay plus the allocator-specific questions the generic harness cannot ask through
/// <see cref="IOffsetAllocator"/>: "are you empty?" and "what does your free space look like?".
/// </summary>
public sealed class ReplaySubject : IDisposable
{
    private readonly IDisposable? _owned;

    /// <summary>Wraps an allocator.</summary>
    /// <param name="name">Registry name, e.g. <c>freelist</c>.</param>
    /// <param name="allocator">The allocator; replay calls it directly.</param>
    /// <param name="emptinessProblem">Returns null when nothing is allocated, else a description of what is left; null when the allocator cannot tell.</param>
    /// <param name="freeSpace">Snapshot of the free space; null when the allocator cannot report it.</param>
    /// <param name="owned">Disposed with the subject (e.g. the native memory behind the allocator).</param>
    public ReplaySubject(string name, IOffsetAllocator allocator, Func<string?>? emptinessProblem = null,
        Func<FreeSpaceSnapshot>? freeSpace = null, IDisposable? owned = null)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        Name = name;
        Allocator = allocator;
        EmptinessProblem = emptinessProblem;
        FreeSpace = freeSpace;
        _owned = owned;
    }

    /// <summary>Registry name.</summary>
    public string Name { get; }

    /// <summary>The allocator.</summary>
    public IOffsetAllocator Allocator { get; }

    /// <summary>The allocator-specific empty check, if any.</summary>
    public Func<string?>? EmptinessProblem { get; }

    /// <summary>The free-space snapshot, if the allocator can report one.</summary>
    public Func<FreeSpaceSnapshot>? FreeSpace { get; }

    /// <inheritdoc />
    public void Dispose() => _owned?.Dispose();
}
