using System.Buffers.Binary;

namespace Veralloc.Allocators.Memory;

/// <summary>
/// A bounded linear memory over a managed slab of <c>maxPages</c> pages: it grows until the slab is
/// full, then fails. The test grower of the seed design, and the default backing for tests.
/// </summary>
/// <remarks>The slab is allocated lazily, one page at a time, so a large limit costs nothing up front.</remarks>
public sealed class SlabLinearMemory : ILinearMemory
{
    private readonly int _maxPages;
    private byte[] _bytes;
    private int _pageCount;

    /// <summary>Creates an empty memory that can grow to <paramref name="maxPages"/> pages.</summary>
    /// <param name="maxPages">The slab size in pages; at least 0 and at most 32,767 (2 GiB).</param>
    /// <param name="initialPages">Pages present from the start; at most <paramref name="maxPages"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A page count is out of range.</exception>
    public SlabLinearMemory(int maxPages, int initialPages = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPages, MaxSlabPages);
        ArgumentOutOfRangeException.ThrowIfNegative(initialPages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initialPages, maxPages);
        _maxPages = maxPages;
        _bytes = new byte[(long)initialPages * LinearMemory.PageBytes];
        _pageCount = initialPages;
    }

    /// <summary>The largest slab this type supports, in pages (arrays are limited to 2 GiB).</summary>
    public const int MaxSlabPages = (int.MaxValue / LinearMemory.PageBytes) - 1;

    /// <summary>The slab size in pages: growth beyond it fails.</summary>
    public int MaxPages => _maxPages;

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

        int newPageCount = _pageCount + pages;
        if ((long)newPageCount * LinearMemory.PageBytes > _bytes.Length)
        {
            // Double the backing array so repeated one-page growth stays amortized O(1).
            long capacityPages = Math.Min(_maxPages, Math.Max(newPageCount, (long)_pageCount * 2));
            Array.Resize(ref _bytes, checked((int)(capacityPages * LinearMemory.PageBytes)));
        }

        _pageCount = newPageCount;
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
