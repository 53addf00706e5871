namespace Veralloc.Allocators;

/// <summary>
/// The boundary tag that a free range of metadata-in-memory structures keeps in its own last word: a value
/// mixing the range's start and end, so that a corrupted size or limit word, which moves the claimed end,
/// makes the allocator read a word that is not the tag of that claim (docs/design-notes/0016-boundary-tags.md).
/// </summary>
/// <remarks>
/// Starts and ends are multiples of 8. Multiplying the start by an odd constant is a bijection on 64-bit words
/// that keeps its low three bits zero, so for one end each start has its own tag: a tag at a given position can
/// only confirm the range the structure wrote it for. The low bits are forced to <c>0b101</c>, a pattern no
/// offset, size, limit or link word of these structures has (they end in <c>000</c>, <c>001</c> for a tagged
/// link, or are <c>-1</c>), so no header word can pass for a tag either.
/// </remarks>
internal static class RangeEndTag
{
    /// <summary>
    /// What a range's old last word is overwritten with when the range stops ending there: not a tag (low bits
    /// <c>010</c>), and not a multiple of 8, so no check accepts it as a size, a limit or a link either. A stale
    /// minimal node, whose last word is one of its header words, is thereby refused too.
    /// </summary>
    public const long Cleared = 2;

    private const long TagBits = 0b101;

    // The 64-bit golden-ratio constant: odd, so multiplication by it is invertible modulo 2^64.
    private const ulong StartMultiplier = 0x9E3779B97F4A7C15;

    /// <summary>The tag of the range <c>[start, end)</c>, both multiples of 8.</summary>
    public static long Of(long start, long end) => unchecked((long)((ulong)start * StartMultiplier) ^ end) | TagBits;
}
