using System.Diagnostics;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Allocators.Lands;

/// <summary>
/// A land whose metadata lives outside the managed memory, in two balanced search trees: an address index
/// (ranges by start) and a size index (ranges by size, then by descending start, so its maximum is the
/// lowest-addressed largest range). It never reads or writes the memory it describes, so a client write
/// cannot corrupt it, and it is the land to flush a <see cref="FreeListLand"/> into once control structures
/// can be allocated (docs/design-notes/0040-lands.md).
/// </summary>
/// <remarks>
/// Costs, n = <see cref="RangeCount"/>: <see cref="Insert"/>, <see cref="Delete"/>, <see cref="CanInsert"/>,
/// <see cref="CanDelete"/> and <see cref="TryFindLargest"/> are O(log n); <see cref="TryFindFirst"/> and
/// <see cref="TryFindLast"/> answer "nothing fits" in O(log n) from the size index and otherwise scan in
/// address order to the first fit, O(n) in the worst case (an augmented tree would make them O(log n)).
/// Each stored range costs two tree nodes of managed memory. Not thread-safe.
/// </remarks>
public sealed class TreeLand : ILand
{
    private readonly SortedSet<AddressRange> _byStart = new(StartOrder.Instance);
    private readonly SortedSet<AddressRange> _bySize = new(SizeOrder.Instance);
    private readonly long _grainBytes;
    private readonly AddressRange _bounds;
    private long _totalBytes;

    /// <summary>Creates an empty land whose ranges may lie anywhere in <c>[0, long.MaxValue)</c> rounded down to the grain.</summary>
    /// <param name="grainBytes">The grain, a positive power of two; defaults to one word.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="grainBytes"/> is not a positive power of two.</exception>
    public TreeLand(long grainBytes = LinearMemory.WordBytes)
        : this(grainBytes, new AddressRange(0, long.MaxValue & ~(RequireGrain(grainBytes) - 1)))
    {
    }

    /// <summary>Creates an empty land whose ranges must lie inside <paramref name="bounds"/>.</summary>
    /// <param name="grainBytes">The grain, a positive power of two.</param>
    /// <param name="bounds">A grain-aligned range of non-negative offsets.</param>
    /// <exception cref="ArgumentOutOfRangeException">The grain is not a positive power of two, or the bounds are negative or misaligned.</exception>
    public TreeLand(long grainBytes, AddressRange bounds)
    {
        RequireGrain(grainBytes);
        if (bounds.Start < 0 || bounds.Size < 0 || ((bounds.Start | bounds.Size) & (grainBytes - 1)) != 0 || bounds.Size > long.MaxValue - bounds.Start)
        {
            throw new ArgumentOutOfRangeException(nameof(bounds), bounds,
                $"The bounds must be a range of non-negative offsets whose start and size are multiples of the grain ({grainBytes} bytes).");
        }

        _grainBytes = grainBytes;
        _bounds = bounds;
    }

    /// <inheritdoc />
    public long GrainBytes => _grainBytes;

    /// <inheritdoc />
    public AddressRange Bounds => _bounds;

    /// <inheritdoc />
    public long TotalSize => _totalBytes;

    /// <inheritdoc />
    public int RangeCount => _byStart.Count;

    /// <inheritdoc />
    public AddressRange Insert(AddressRange range)
    {
        LandRules.ValidateRange(range, _grainBytes, _bounds, nameof(range));
        AddressRange? below = Floor(range.Start - 1);
        if (below is AddressRange lower && lower.End > range.Start)
        {
            LandRules.ThrowOverlap(range, lower, nameof(range));
        }

        AddressRange? above = Ceiling(range.Start);
        if (above is AddressRange upper && upper.Start < range.End)
        {
            LandRules.ThrowOverlap(range, upper, nameof(range));
        }

        AddressRange merged = range;
        if (below is AddressRange touchingBelow && touchingBelow.End == range.Start)
        {
            Remove(touchingBelow);
            merged = new AddressRange(touchingBelow.Start, merged.End - touchingBelow.Start);
        }

        if (above is AddressRange touchingAbove && touchingAbove.Start == range.End)
        {
            Remove(touchingAbove);
            merged = new AddressRange(merged.Start, touchingAbove.End - merged.Start);
        }

        Add(merged);
        _totalBytes += range.Size;
        return merged;
    }

    /// <inheritdoc />
    public void Delete(AddressRange range)
    {
        LandRules.ValidateRange(range, _grainBytes, _bounds, nameof(range));
        AddressRange? container = Floor(range.Start);
        if (container is not AddressRange stored || stored.End < range.End)
        {
            LandRules.ThrowNotContained(range, nameof(range));
            return;
        }

        Carve(stored, range);
    }

    /// <inheritdoc />
    public bool CanInsert(AddressRange range)
    {
        if (!LandRules.IsValidRange(range, _grainBytes, _bounds))
        {
            return false;
        }

        bool clearBelow = Floor(range.Start - 1) is not AddressRange lower || lower.End <= range.Start;
        bool clearAbove = Ceiling(range.Start) is not AddressRange upper || upper.Start >= range.End;
        return clearBelow && clearAbove;
    }

    /// <inheritdoc />
    public bool CanDelete(AddressRange range) =>
        LandRules.IsValidRange(range, _grainBytes, _bounds)
        && Floor(range.Start) is AddressRange stored
        && stored.End >= range.End;

    /// <inheritdoc />
    public bool TryFindFirst(long size, FindDelete delete, out LandFindResult result)
    {
        LandRules.ValidateFind(size, delete, _grainBytes);
        if (_bySize.Count > 0 && _bySize.Max.Size >= size)
        {
            foreach (AddressRange range in _byStart)
            {
                if (range.Size >= size)
                {
                    result = Take(range, size, delete);
                    return true;
                }
            }
        }

        result = default;
        return false;
    }

    /// <inheritdoc />
    public bool TryFindLast(long size, FindDelete delete, out LandFindResult result)
    {
        LandRules.ValidateFind(size, delete, _grainBytes);
        if (_bySize.Count > 0 && _bySize.Max.Size >= size)
        {
            foreach (AddressRange range in _byStart.Reverse())
            {
                if (range.Size >= size)
                {
                    result = Take(range, size, delete);
                    return true;
                }
            }
        }

        result = default;
        return false;
    }

    /// <inheritdoc />
    public bool TryFindLargest(long size, FindDelete delete, out LandFindResult result)
    {
        LandRules.ValidateFind(size, delete, _grainBytes);
        if (_bySize.Count > 0 && _bySize.Max.Size >= size)
        {
            result = Take(_bySize.Max, size, delete);
            return true;
        }

        result = default;
        return false;
    }

    /// <inheritdoc />
    public bool Iterate<TVisitor>(ref TVisitor visitor)
        where TVisitor : ILandVisitor
    {
        // The tree cannot be cyclic, and its enumerator throws InvalidOperationException if the visitor modifies it.
        foreach (AddressRange range in _byStart)
        {
            if (!visitor.Visit(range))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public void FlushTo(ILand target) => LandFlush.Move(this, target);

    /// <inheritdoc />
    public void CheckInvariants()
    {
        var ranges = new AddressRange[_byStart.Count];
        _byStart.CopyTo(ranges);
        Invariant.ThrowIfViolated(RangeSequenceChecks.Sorted(ranges, RangeOrder.Ascending, LandInvariantIds.Sorted));
        Invariant.ThrowIfViolated(RangeSequenceChecks.MinimumSize(ranges, _grainBytes, LandInvariantIds.NonEmpty));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Aligned(ranges, _grainBytes, LandInvariantIds.Aligned));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Isolated(ranges, LandInvariantIds.Isolated));
        Invariant.ThrowIfViolated(RangeSequenceChecks.WithinBounds(ranges, _bounds.Start, _bounds.End, LandInvariantIds.Bounds));
        long sum = RangeSequenceChecks.TotalSize(ranges);
        Invariant.ThrowIfViolated(Invariant.Require(sum == _totalBytes, LandInvariantIds.Total, "tree land",
            () => $"the ranges add up to {sum} bytes but the recorded total is {_totalBytes}"));
        Invariant.ThrowIfViolated(CheckSizeIndex());
    }

    /// <summary>Test hook: adds a range to both indexes and the total without any check, as a bug would.</summary>
    internal void InjectRangeForTest(AddressRange range)
    {
        _byStart.Add(range);
        _bySize.Add(range);
        _totalBytes += range.Size;
    }

    /// <summary>Test hook: adds an entry to the size index only, desynchronizing the two indexes.</summary>
    internal void InjectSizeEntryForTest(AddressRange range) => _bySize.Add(range);

    /// <summary>Test hook: replaces one size-index entry with another, keeping the entry counts equal.</summary>
    internal void ReplaceSizeEntryForTest(AddressRange stored, AddressRange replacement)
    {
        _bySize.Remove(stored);
        _bySize.Add(replacement);
    }

    /// <summary>Test hook: shifts the recorded total.</summary>
    internal void CorruptTotalForTest(long deltaBytes) => _totalBytes += deltaBytes;

    private InvariantViolation? CheckSizeIndex()
    {
        if (_bySize.Count != _byStart.Count)
        {
            return new InvariantViolation(LandInvariantIds.Index, "tree land",
                $"the size index holds {_bySize.Count} entries but the address index holds {_byStart.Count}");
        }

        // Equal counts and every address entry present in the size index: the two hold the same ranges.
        int position = 0;
        foreach (AddressRange range in _byStart)
        {
            if (!_bySize.Contains(range))
            {
                return new InvariantViolation(LandInvariantIds.Index, $"range #{position} {range}",
                    "the range is in the address index but the size index has no entry with its start and size");
            }

            position++;
        }

        return null;
    }

    private LandFindResult Take(AddressRange found, long size, FindDelete delete)
    {
        AddressRange deleted = LandRules.DeletedPart(found, size, delete);
        if (deleted.Size > 0)
        {
            Carve(found, deleted);
        }

        return new LandFindResult(found, deleted);
    }

    /// <summary>Removes <paramref name="part"/> from the stored range <paramref name="stored"/> that contains it.</summary>
    private void Carve(AddressRange stored, AddressRange part)
    {
        Debug.Assert(stored.Start <= part.Start && part.End <= stored.End, "the part lies inside the stored range");
        Remove(stored);
        if (part.Start > stored.Start)
        {
            Add(new AddressRange(stored.Start, part.Start - stored.Start));
        }

        if (part.End < stored.End)
        {
            Add(new AddressRange(part.End, stored.End - part.End));
        }

        _totalBytes -= part.Size;
    }

    private void Add(AddressRange range)
    {
        bool addedByStart = _byStart.Add(range);
        bool addedBySize = _bySize.Add(range);
        Debug.Assert(addedByStart && addedBySize, "callers add only ranges not yet stored");
    }

    private void Remove(AddressRange range)
    {
        bool removedByStart = _byStart.Remove(range);
        bool removedBySize = _bySize.Remove(range);
        Debug.Assert(removedByStart && removedBySize, "callers remove only stored ranges");
    }

    /// <summary>The stored range with the greatest start at or below <paramref name="offset"/>, O(log n).</summary>
    private AddressRange? Floor(long offset)
    {
        if (_byStart.Count == 0 || offset < _byStart.Min.Start)
        {
            return null;
        }

        return _byStart.GetViewBetween(_byStart.Min, new AddressRange(offset, 0)).Max;
    }

    /// <summary>The stored range with the least start at or above <paramref name="offset"/>, O(log n).</summary>
    private AddressRange? Ceiling(long offset)
    {
        if (_byStart.Count == 0 || offset > _byStart.Max.Start)
        {
            return null;
        }

        return _byStart.GetViewBetween(new AddressRange(offset, 0), _byStart.Max).Min;
    }

    private static long RequireGrain(long grainBytes)
    {
        if (!LandRules.IsValidGrain(grainBytes))
        {
            throw new ArgumentOutOfRangeException(nameof(grainBytes), grainBytes, "The grain must be a positive power of two.");
        }

        return grainBytes;
    }

    private sealed class StartOrder : IComparer<AddressRange>
    {
        public static readonly StartOrder Instance = new();

        public int Compare(AddressRange x, AddressRange y) => x.Start.CompareTo(y.Start);
    }

    /// <summary>Ascending size, then descending start: the maximum is the lowest-addressed largest range.</summary>
    private sealed class SizeOrder : IComparer<AddressRange>
    {
        public static readonly SizeOrder Instance = new();

        public int Compare(AddressRange x, AddressRange y)
        {
            int bySize = x.Size.CompareTo(y.Size);
            return bySize != 0 ? bySize : y.Start.CompareTo(x.Start);
        }
    }
}
