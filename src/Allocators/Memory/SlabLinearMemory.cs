using System.Buffers.Binary;

namespace Veralloc.Allocators.Memory;

/// <summary>
/// A bounded linear memory over a managed slab of <c>maxPages</c> pages: it grows until the slab is
/// full, then fails. The test grower of the seed design, and the default backing for tests.
/// </summary>
/// <remarks>
/// <para>
/// The whole slab is one managed array, allocated once by the constructor and never replaced, so growth
/// never moves a byte: a span taken before a growth still reads and writes the memory afterwards, and,
/// because a span over a managed array keeps the array alive, no span can outlive the bytes it covers
/// (docs/design-notes/0006-memory-that-never-moves.md).
/// </para>
/// <para>
/// The array is allocated uninitialized and each page is zeroed when it joins the memory, so a large limit
/// costs address space up front but touches only the pages in use (as a native reservation does). Bytes
/// past <see cref="SizeBytes"/> are never readable. Not thread-safe.
/// </para>
/// </remarks>
public sealed class SlabLinearMemory : ILinearMemory
{
    private readonly int _maxPages;
    private readonly byte[] _bytes;
    private int _pageCount;

    /// <summary>Creates a memory of <paramref name="initialPages"/> zeroed pages that can grow to <paramref name="maxPages"/> pages.</summary>
    /// <param name="maxPages">The slab size in pages; at least 0 and at most <see cref="MaxSlabPages"/> (32,767: 2 GiB minus 64 KiB).</param>
    /// <param name="initialPages">Pages present from the start; at most <paramref name="maxPages"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A page count is out of range.</exception>
    /// <exception cref="OutOfMemoryException">The process cannot allocate a managed array of <paramref name="maxPages"/> pages.</exception>
    public SlabLinearMemory(int maxPages, int initialPages = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPages, MaxSlabPages);
        ArgumentOutOfRangeException.ThrowIfNegative(initialPages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initialPages, maxPages);
        _maxPages = maxPages;
        _bytes = GC.AllocateUninitializedArray<byte>(maxPages * LinearMemory.PageBytes);
        _bytes.AsSpan(0, initialPages * LinearMemory.PageBytes).Clear();
        _pageCount = initialPages;
    }

    /// <summary>
    /// The largest slab this type supports, in pages: 32,767, the most whole pages a managed byte array holds
    /// (<see cref="Array.MaxLength"/>, 2,147,483,591 bytes).
    /// </summary>
    public const int MaxSlabPages = ArrayMaxLength / LinearMemory.PageBytes;

    // Array.MaxLength is a property, not a constant; a unit test pins this copy to it.
    private const int ArrayMaxLength = 0x7FFFFFC7;

    /// <summary>The slab size in pages: growth beyond it fails.</summary>
    public int MaxPages => _maxPages;

    /// <summary>The whole slab (bytes past <see cref="SizeBytes"/> included), for <see cref="SlabWords"/>: never replaced.</summary>
    internal byte[] Slab => _bytes;

    /// <inheritdoc />
    public int PageCount => _pageCount;

    /// <inheritdoc />
    public long SizeBytes => (long)_pageCount * LinearMemory.PageBytes;

    /// <inheritdoc />
    public bool TryGrow(int pages, out int previousPageCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pages);
        previousPageCount = _pageCount;
        if (pages > _maxPages - _pageCount)
        {
            previousPageCount = 0;
            return false;
        }

        // The slab was allocated uninitialized: the new pages are zeroed as they join the memory.
        _bytes.AsSpan(_pageCount * LinearMemory.PageBytes, pages * LinearMemory.PageBytes).Clear();
        _pageCount += pages;
        return true;
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(long offset, int length)
    {
        LinearMemory.CheckRange(offset, length, SizeBytes);
        return _bytes.AsSpan((int)offset, length);
    }

    /// <inheritdoc />
    public long ReadWord(long offset)
    {
        LinearMemory.CheckWord(offset, SizeBytes);
        return BinaryPrimitives.ReadInt64LittleEndian(_bytes.AsSpan((int)offset, LinearMemory.WordBytes));
    }

    /// <inheritdoc />
    public void WriteWord(long offset, long value)
    {
        LinearMemory.CheckWord(offset, SizeBytes);
        BinaryPrimitives.WriteInt64LittleEndian(_bytes.AsSpan((int)offset, LinearMemory.WordBytes), value);
    }
}
