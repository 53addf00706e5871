namespace Veralloc.Allocators.FreeList;

/// <summary>
/// §1's first-fit test on the free list's walk, compiled into the walk once per rule so that the commonest case,
/// alignment NODE, pays one subtraction per node (docs/design-notes/0018-freelist-walk-cost.md).
/// </summary>
internal interface IFitRule
{
    /// <summary>
    /// How far §1's highest aligned position in <c>[block, block + blockSize)</c> for <paramref name="fullBytes"/>,
    /// <c>(block + blockSize - fullBytes) &amp; alignmentMask</c>, lies above <paramref name="block"/>: the block fits
    /// when this is not negative. <paramref name="alignmentMask"/> is <c>~(alignment - 1)</c>. The size is in bounds
    /// but its alignment may not be validated yet: the walk reports a misaligned size whatever this returns.
    /// </summary>
    long Slack(long block, long blockSize, long fullBytes, long alignmentMask);
}

/// <summary>Any alignment: §1's position as written.</summary>
internal readonly struct AlignedFit : IFitRule
{
    /// <inheritdoc />
    public long Slack(long block, long blockSize, long fullBytes, long alignmentMask) =>
        ((block + blockSize - fullBytes) & alignmentMask) - block;
}

/// <summary>
/// Alignment NODE. The block, a validated size and fullBytes are multiples of NODE, so the highest position is
/// <c>block + blockSize - fullBytes</c> itself and the slack is <c>blockSize - fullBytes</c>.
/// </summary>
internal readonly struct NodeAlignedFit : IFitRule
{
    /// <inheritdoc />
    public long Slack(long block, long blockSize, long fullBytes, long alignmentMask) => blockSize - fullBytes;
}
