namespace Veralloc.Allocators.FreeList;

/// <summary>
/// §1's highest aligned position in a free block, computed on the free list's first-fit walk: compiled into the
/// walk once per rule so that the commonest case, alignment NODE, skips the mask (docs/design-notes/0018-freelist-walk-cost.md).
/// </summary>
internal interface IFitRule
{
    /// <summary>
    /// The highest position in <c>[block, block + blockSize)</c> for <paramref name="fullBytes"/> at a multiple of the
    /// alignment whose mask is <paramref name="alignmentMask"/> (<c>~(alignment - 1)</c>):
    /// <c>(block + blockSize - fullBytes) &amp; alignmentMask</c>. The block fits when it is at or above
    /// <paramref name="block"/>; it is compared, never subtracted from block, since for a huge fullBytes it lies near
    /// <see cref="long.MinValue"/>. The size is in bounds but its alignment may not be validated yet: the walk reports
    /// a misaligned size whatever this returns.
    /// </summary>
    long HighestPosition(long block, long blockSize, long fullBytes, long alignmentMask);
}

/// <summary>Any alignment: §1's position as written.</summary>
internal readonly struct AlignedFit : IFitRule
{
    /// <inheritdoc />
    public long HighestPosition(long block, long blockSize, long fullBytes, long alignmentMask) =>
        (block + blockSize - fullBytes) & alignmentMask;
}

/// <summary>
/// Alignment NODE. The block, a validated size and fullBytes are multiples of NODE, so the mask changes nothing and
/// the highest position is <c>block + blockSize - fullBytes</c>.
/// </summary>
internal readonly struct NodeAlignedFit : IFitRule
{
    /// <inheritdoc />
    public long HighestPosition(long block, long blockSize, long fullBytes, long alignmentMask) => block + blockSize - fullBytes;
}
