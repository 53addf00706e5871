using Veralloc.Invariants;

namespace Veralloc.Bench.Reporting;

/// <summary>Turns a heap's free ranges into per-cell free fractions for a picture of the heap.</summary>
public static class HeapMap
{
    /// <summary>
    /// Splits <c>[0, heapBytes)</c> into <paramref name="cells"/> equal slices (the last may be shorter) and returns,
    /// per slice, the fraction of its bytes that are free. O(free blocks + cells).
    /// </summary>
    /// <param name="heapBytes">The heap size; 0 gives all-zero cells.</param>
    /// <param name="freeBlocks">Disjoint free ranges inside the heap, in any order.</param>
    /// <param name="cells">Number of slices; at least 1.</param>
    /// <returns>One value in [0, 1] per cell: 0 all used, 1 all free; NaN for cells past the heap's end (rounding).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range or a block lies outside the heap.</exception>
    public static double[] FreeFractions(long heapBytes, IReadOnlyList<AddressRange> freeBlocks, int cells)
    {
        ArgumentNullException.ThrowIfNull(freeBlocks);
        ArgumentOutOfRangeException.ThrowIfNegative(heapBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cells);
        var free = new double[cells];
        if (heapBytes == 0)
        {
            return free;
        }

        long cellBytes = (heapBytes + cells - 1) / cells;
        foreach (AddressRange block in freeBlocks)
        {
            if (block.Start < 0 || block.Size < 0 || block.End > heapBytes)
            {
                throw new ArgumentOutOfRangeException(nameof(freeBlocks), $"Free block [{block.Start}, {block.End}) is outside the heap [0, {heapBytes}).");
            }

            for (long at = block.Start; at < block.End;)
            {
                int cell = (int)(at / cellBytes);
                long cellEnd = Math.Min((cell + 1) * cellBytes, heapBytes);
                long take = Math.Min(block.End, cellEnd) - at;
                free[cell] += take;
                at += take;
            }
        }

        for (int cell = 0; cell < cells; cell++)
        {
            long start = cell * cellBytes;
            long length = Math.Min(cellBytes, heapBytes - start);
            free[cell] = length <= 0 ? double.NaN : free[cell] / length;
        }

        return free;
    }
}
