using System.Diagnostics.CodeAnalysis;

namespace Veralloc.Allocators.Memory;

/// <summary>
/// A contiguous linear address space of offsets <c>[0, SizeBytes)</c> that only grows, a whole
/// <see cref="LinearMemory.PageBytes"/> page at a time (the WebAssembly memory model). Allocators that
/// keep metadata inside free memory read and write it through this interface.
/// </summary>
/// <remarks>
/// <para>
/// Bytes never move: growth appends pages without relocating the ones present, so a span from
/// <see cref="GetSpan"/> keeps reading and writing the memory itself across any later growth, for as long
/// as the memory lives (for <see cref="NativeLinearMemory"/>, until it is disposed; see
/// docs/design-notes/0005 and 0006).
/// </para>
/// <para>Implementations are not thread-safe; the allocator that owns a memory serializes access.</para>
/// </remarks>
public interface ILinearMemory
{
    /// <summary>The current number of pages.</summary>
    int PageCount { get; }

    /// <summary>The current size in bytes: <c>PageCount * PageBytes</c>.</summary>
    long SizeBytes { get; }

    /// <summary>
    /// The grower: adds <paramref name="pages"/> pages at the end. On success the new pages start at
    /// <c>previousPageCount * PageBytes</c>; on failure nothing changes.
    /// </summary>
    /// <param name="pages">The number of pages to add; zero reports the page count without growing.</param>
    /// <param name="previousPageCount">The page count before growing, when the call succeeds.</param>
    /// <returns>False when the memory cannot grow by that much (its limit, or an injected fault).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pages"/> is negative.</exception>
    bool TryGrow(int pages, out int previousPageCount);

    /// <summary>The bytes <c>[offset, offset + length)</c>, which must lie inside the memory.</summary>
    /// <param name="offset">The first byte.</param>
    /// <param name="length">The number of bytes.</param>
    /// <returns>A span over the memory itself: writes are visible to later reads, before and after any growth.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <c>[0, SizeBytes)</c>.</exception>
    Span<byte> GetSpan(long offset, int length);

    /// <summary>Reads the 8-byte little-endian word at <paramref name="offset"/> (8-aligned, inside the memory).</summary>
    /// <param name="offset">The word's offset.</param>
    /// <returns>The stored word.</returns>
    long ReadWord(long offset);

    /// <summary>Writes the 8-byte little-endian word at <paramref name="offset"/> (8-aligned, inside the memory).</summary>
    /// <param name="offset">The word's offset.</param>
    /// <param name="value">The word to store.</param>
    void WriteWord(long offset, long value);
}

/// <summary>Constants of the linear memory model.</summary>
public static class LinearMemory
{
    /// <summary>The page size: 64 KiB, as in WebAssembly.</summary>
    public const int PageBytes = 64 * 1024;

    /// <summary>The size of a word in the managed address space, in bytes: offsets are 64-bit.</summary>
    public const int WordBytes = 8;

    /// <summary>The bounds rule every backing enforces: <c>[offset, offset + length)</c> lies inside <c>[0, sizeBytes)</c>.</summary>
    internal static void CheckRange(long offset, int length, long sizeBytes)
    {
        if (offset < 0 || length < 0 || offset > sizeBytes || length > sizeBytes - offset)
        {
            ThrowOutside(offset, length, sizeBytes);
        }
    }

    /// <summary>A word access must be word-aligned and inside the memory.</summary>
    internal static void CheckWord(long offset, long sizeBytes)
    {
        if ((offset & (WordBytes - 1)) != 0)
        {
            ThrowMisalignedWord(offset);
        }

        CheckRange(offset, WordBytes, sizeBytes);
    }

    [DoesNotReturn]
    private static void ThrowOutside(long offset, int length, long size) =>
        throw new ArgumentOutOfRangeException(nameof(offset), offset,
            $"The range [{offset}, {offset} + {length}) must lie inside the memory [0, {size}).");

    [DoesNotReturn]
    private static void ThrowMisalignedWord(long offset) =>
        throw new ArgumentOutOfRangeException(nameof(offset), offset, $"A word offset must be a multiple of {WordBytes}.");
}
