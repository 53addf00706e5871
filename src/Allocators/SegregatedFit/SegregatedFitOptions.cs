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
}
