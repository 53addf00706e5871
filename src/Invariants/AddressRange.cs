namespace Veralloc.Invariants;

/// <summary>A half-open range of offsets <c>[Start, Start + Size)</c> in some address space.</summary>
/// <param name="Start">The first offset in the range.</param>
/// <param name="Size">The number of bytes in the range.</param>
public readonly record struct AddressRange(long Start, long Size)
{
    /// <summary>The first offset past the range.</summary>
    public long End => Start + Size;

    /// <summary>Formats the range as <c>[0xSTART, 0xEND)</c>.</summary>
    public override string ToString() => $"[0x{Start:x}, 0x{End:x})";
}

/// <summary>The declared order of a sequence of ranges, by start offset.</summary>
public enum RangeOrder
{
    /// <summary>Each range starts above the previous one.</summary>
    Ascending,

    /// <summary>Each range starts below the previous one.</summary>
    Descending,
}
