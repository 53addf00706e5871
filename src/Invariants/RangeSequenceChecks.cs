namespace Veralloc.Invariants;

/// <summary>
/// Pure checkers over a sequence of address ranges, shared by every allocator that keeps free
/// ranges (free lists, lands, block tables). Each returns the first violation, naming the invariant
/// id the caller passes and the offending range by position, or null when the property holds.
/// Each is O(n) in the number of ranges.
/// </summary>
public static class RangeSequenceChecks
{
    /// <summary>Starts are strictly ordered in <paramref name="order"/>.</summary>
    /// <param name="ranges">The ranges in list order.</param>
    /// <param name="order">The declared direction.</param>
    /// <param name="invariantId">The id to report, for example <c>FL-SORTED</c>.</param>
    /// <returns>The first violation, or null.</returns>
    public static InvariantViolation? Sorted(ReadOnlySpan<AddressRange> ranges, RangeOrder order, string invariantId)
    {
        for (int i = 1; i < ranges.Length; i++)
        {
            AddressRange previous = ranges[i - 1];
            AddressRange current = ranges[i];
            bool inOrder = order == RangeOrder.Ascending ? current.Start > previous.Start : current.Start < previous.Start;
            if (!inOrder)
            {
                return new InvariantViolation(invariantId, Subject(i, current),
                    $"starts must be strictly {Describe(order)}, but range #{i - 1} {previous} is followed by {current}");
            }
        }

        return null;
    }

    /// <summary>
    /// Consecutive ranges (already in address order, either direction) neither overlap nor touch:
    /// a gap of at least one byte separates them, so adjacent ranges must have been merged.
    /// </summary>
    /// <param name="ranges">The ranges in list order.</param>
    /// <param name="invariantId">The id to report, for example <c>FL-NONADJ</c>.</param>
    /// <returns>The first violation, or null.</returns>
    public static InvariantViolation? Isolated(ReadOnlySpan<AddressRange> ranges, string invariantId) =>
        Separated(ranges, invariantId, minimumGap: 1);

    /// <summary>Consecutive ranges (already in address order, either direction) do not overlap; they may touch.</summary>
    /// <param name="ranges">The ranges in list order.</param>
    /// <param name="invariantId">The id to report.</param>
    /// <returns>The first violation, or null.</returns>
    public static InvariantViolation? Disjoint(ReadOnlySpan<AddressRange> ranges, string invariantId) =>
        Separated(ranges, invariantId, minimumGap: 0);

    /// <summary>Every range starts and has a size that are multiples of <paramref name="alignment"/>.</summary>
    /// <param name="ranges">The ranges.</param>
    /// <param name="alignment">A positive power of two.</param>
    /// <param name="invariantId">The id to report, for example <c>FL-ALIGNED</c>.</param>
    /// <returns>The first violation, or null.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alignment"/> is not a positive power of two.</exception>
    public static InvariantViolation? Aligned(ReadOnlySpan<AddressRange> ranges, long alignment, string invariantId)
    {
        RequirePowerOfTwo(alignment);
        long mask = alignment - 1;
        for (int i = 0; i < ranges.Length; i++)
        {
            AddressRange range = ranges[i];
            if ((range.Start & mask) != 0)
            {
                return new InvariantViolation(invariantId, Subject(i, range), $"start 0x{range.Start:x} is not a multiple of {alignment}");
            }

            if ((range.Size & mask) != 0)
            {
                return new InvariantViolation(invariantId, Subject(i, range), $"size {range.Size} is not a multiple of {alignment}");
            }
        }

        return null;
    }

    /// <summary>Every range lies inside <c>[lowerBound, upperBound)</c>.</summary>
    /// <param name="ranges">The ranges.</param>
    /// <param name="lowerBound">The lowest valid offset.</param>
    /// <param name="upperBound">The first offset past the valid space.</param>
    /// <param name="invariantId">The id to report, for example <c>FL-BOUNDS</c>.</param>
    /// <returns>The first violation, or null.</returns>
    public static InvariantViolation? WithinBounds(ReadOnlySpan<AddressRange> ranges, long lowerBound, long upperBound, string invariantId)
    {
        for (int i = 0; i < ranges.Length; i++)
        {
            AddressRange range = ranges[i];
            // Compare the size against the room left so that a huge size cannot overflow End.
            bool inside = range.Start >= lowerBound && range.Start <= upperBound && range.Size <= upperBound - range.Start;
            if (!inside)
            {
                return new InvariantViolation(invariantId, Subject(i, range),
                    $"range must lie inside [0x{lowerBound:x}, 0x{upperBound:x}) but starts at 0x{range.Start:x} with size {range.Size}");
            }
        }

        return null;
    }

    /// <summary>Every range is at least <paramref name="minimumSize"/> bytes.</summary>
    /// <param name="ranges">The ranges.</param>
    /// <param name="minimumSize">The smallest valid size.</param>
    /// <param name="invariantId">The id to report, for example <c>FL-MINSIZE</c>.</param>
    /// <returns>The first violation, or null.</returns>
    public static InvariantViolation? MinimumSize(ReadOnlySpan<AddressRange> ranges, long minimumSize, string invariantId)
    {
        for (int i = 0; i < ranges.Length; i++)
        {
            AddressRange range = ranges[i];
            if (range.Size < minimumSize)
            {
                return new InvariantViolation(invariantId, Subject(i, range), $"size {range.Size} is below the minimum {minimumSize}");
            }
        }

        return null;
    }

    /// <summary>Free bytes plus live bytes equal the managed total: nothing lost, nothing counted twice.</summary>
    /// <param name="freeBytes">Bytes in free ranges.</param>
    /// <param name="liveBytes">Bytes in live allocations (rounded sizes).</param>
    /// <param name="totalBytes">Bytes managed.</param>
    /// <param name="invariantId">The id to report, for example <c>FL-CONSERVE</c>.</param>
    /// <param name="subject">What is being accounted, for example <c>heap</c>.</param>
    /// <returns>The violation, or null.</returns>
    public static InvariantViolation? Conserved(long freeBytes, long liveBytes, long totalBytes, string invariantId, string subject = "heap") =>
        freeBytes + liveBytes == totalBytes
            ? null
            : new InvariantViolation(invariantId, subject,
                $"free {freeBytes} + live {liveBytes} = {freeBytes + liveBytes} bytes, but {totalBytes} are managed");

    /// <summary>The sum of the sizes.</summary>
    /// <param name="ranges">The ranges.</param>
    /// <returns>The total number of bytes.</returns>
    public static long TotalSize(ReadOnlySpan<AddressRange> ranges)
    {
        long total = 0;
        foreach (AddressRange range in ranges)
        {
            total = checked(total + range.Size);
        }

        return total;
    }

    private static InvariantViolation? Separated(ReadOnlySpan<AddressRange> ranges, string invariantId, long minimumGap)
    {
        for (int i = 1; i < ranges.Length; i++)
        {
            AddressRange previous = ranges[i - 1];
            AddressRange current = ranges[i];
            (AddressRange lower, AddressRange upper) = previous.Start <= current.Start ? (previous, current) : (current, previous);
            long gap = upper.Start - lower.End;
            if (gap < minimumGap)
            {
                string relation = gap < 0 ? "overlaps" : "touches";
                return new InvariantViolation(invariantId, Subject(i, current),
                    $"{current} {relation} its list neighbour #{i - 1} {previous}{(gap == 0 ? " (adjacent ranges must be merged)" : string.Empty)}");
            }
        }

        return null;
    }

    private static void RequirePowerOfTwo(long alignment)
    {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "Alignment must be a positive power of two.");
        }
    }

    private static string Subject(int index, AddressRange range) => $"range #{index} {range}";

    private static string Describe(RangeOrder order) => order == RangeOrder.Ascending ? "ascending" : "descending";
}
