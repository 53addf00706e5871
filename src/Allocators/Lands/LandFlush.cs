using Veralloc.Invariants;

namespace Veralloc.Allocators.Lands;

/// <summary>
/// The flush both lands share: check every range against the target, then move them one at a time, taking
/// each off the source before the target sees it (a free-list target writes its node into the range, which
/// must no longer be the source's node by then).
/// </summary>
internal static class LandFlush
{
    /// <summary>Moves every range of <paramref name="source"/> into <paramref name="target"/>, or throws and changes nothing.</summary>
    public static void Move(ILand source, ILand target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (ReferenceEquals(source, target))
        {
            throw new ArgumentException("A land cannot be flushed into itself; the target must be another land.", nameof(target));
        }

        var check = new InsertableVisitor(target);
        source.Iterate(ref check);
        if (check.Rejected is AddressRange rejected)
        {
            throw new ArgumentException(
                $"The target land rejects the range {rejected} (it overlaps a target range, is not aligned to the target's grain of {target.GrainBytes} bytes, or lies outside the target's bounds {target.Bounds}); nothing was moved.",
                nameof(target));
        }

        // Ranges of the source are isolated from each other, so moving one cannot make another rejectable.
        while (source.TryFindFirst(source.GrainBytes, FindDelete.Entire, out LandFindResult moved))
        {
            target.Insert(moved.Found);
        }
    }

    private struct InsertableVisitor(ILand target) : ILandVisitor
    {
        public AddressRange? Rejected { get; private set; }

        public bool Visit(AddressRange range)
        {
            if (target.CanInsert(range))
            {
                return true;
            }

            Rejected = range;
            return false;
        }
    }
}

/// <summary>Conveniences over <see cref="ILand"/> for callers that do not mind allocating.</summary>
public static class LandExtensions
{
    /// <summary>Appends the land's ranges, in ascending address order, to <paramref name="destination"/>.</summary>
    /// <param name="land">The land to read.</param>
    /// <param name="destination">Receives the ranges.</param>
    public static void CopyRangesTo(this ILand land, List<AddressRange> destination)
    {
        ArgumentNullException.ThrowIfNull(land);
        ArgumentNullException.ThrowIfNull(destination);
        var collector = new CollectingVisitor(destination);
        land.Iterate(ref collector);
    }

    /// <summary>The land's ranges in ascending address order, as a new list.</summary>
    /// <param name="land">The land to read.</param>
    /// <returns>A snapshot of the ranges.</returns>
    public static List<AddressRange> ToRangeList(this ILand land)
    {
        ArgumentNullException.ThrowIfNull(land);
        var ranges = new List<AddressRange>(land.RangeCount);
        land.CopyRangesTo(ranges);
        return ranges;
    }

    private readonly struct CollectingVisitor(List<AddressRange> destination) : ILandVisitor
    {
        public bool Visit(AddressRange range)
        {
            destination.Add(range);
            return true;
        }
    }
}
