namespace Veralloc.Allocators.SegregatedFit;

/// <summary>Tuning of a <see cref="SegregatedFitAllocator"/>.</summary>
public sealed record SegregatedFitOptions
{
    /// <summary>The smallest accepted <see cref="SecondLevelBits"/>.</summary>
    public const int MinSecondLevelBits = 1;

    /// <summary>The largest accepted <see cref="SecondLevelBits"/> (a second-level bitmap is 32 bits).</summary>
    public const int MaxSecondLevelBits = 5;

    /// <summary>
    /// The number of bits of a size, below its leading bit, that select its second-level list: each power-of-two
    /// range of sizes is split into <c>2^SecondLevelBits</c> lists. More bits mean tighter classes (a good-fit
    /// search skips less) and more, shorter lists. Default 4 (16 lists per power of two).
    /// </summary>
    public int SecondLevelBits { get; init; } = 4;

    /// <summary>Block records to allocate up front; the record arrays double when they run out. Default 64.</summary>
    public int InitialBlockRecords { get; init; } = 64;

    /// <summary>The largest accepted <see cref="FrontCacheDepth"/>.</summary>
    public const int MaxFrontCacheDepth = 64;

    /// <summary>
    /// The front cache policy: how many freed blocks of each size up to
    /// <see cref="SegregatedFitAllocator.FrontCacheMaxBlockBytes"/> are parked uncoalesced for reuse by the next
    /// allocation of that size (spec/segfit.md, "Front cache"). 0, the default, turns it off: then every address,
    /// list order and counter is the default policy's. The cache hands out different addresses than the default.
    /// </summary>
    public int FrontCacheDepth { get; init; }
}
