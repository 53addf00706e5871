using Veralloc.Allocators.Lands;
using Veralloc.Invariants;

namespace Veralloc.Tests.Property.Models;

/// <summary>
/// Reference model of a land (SEED-SEMANTICS §2, spec/land.md), written to be obviously right rather than
/// fast: a sorted list of isolated ranges, re-normalized after every change by a naive merge pass.
/// </summary>
public sealed class LandModel
{
    private readonly long _grainBytes;
    private readonly long _lowerBound;
    private readonly long _upperBound;
    private List<AddressRange> _ranges = [];

    public LandModel(long grainBytes, long lowerBound, long upperBound)
    {
        _grainBytes = grainBytes;
        _lowerBound = lowerBound;
        _upperBound = upperBound;
    }

    /// <summary>How a land must answer an insert or delete.</summary>
    public enum Verdict
    {
        /// <summary>The call succeeds.</summary>
        Accepted,

        /// <summary>The range itself is invalid (empty, misaligned, out of bounds): ArgumentOutOfRangeException.</summary>
        OutOfRange,

        /// <summary>The range conflicts with the stored ranges (overlap, not contained): ArgumentException.</summary>
        Conflict,
    }

    public IReadOnlyList<AddressRange> Ranges => _ranges;

    public long TotalSize => _ranges.Sum(range => range.Size);

    public bool IsValid(AddressRange range) =>
        range.Size > 0
        && range.Start % _grainBytes == 0
        && range.Size % _grainBytes == 0
        && range.Start >= _lowerBound
        && range.Start <= _upperBound
        && range.Size <= _upperBound - range.Start;

    public Verdict JudgeInsert(AddressRange range)
    {
        if (!IsValid(range))
        {
            return Verdict.OutOfRange;
        }

        return _ranges.Any(stored => stored.Start < range.End && range.Start < stored.End) ? Verdict.Conflict : Verdict.Accepted;
    }

    public Verdict JudgeDelete(AddressRange range)
    {
        if (!IsValid(range))
        {
            return Verdict.OutOfRange;
        }

        return _ranges.Any(stored => stored.Start <= range.Start && range.End <= stored.End) ? Verdict.Accepted : Verdict.Conflict;
    }

    /// <summary>Inserts an accepted range; returns the stored range that contains it afterwards.</summary>
    public AddressRange Insert(AddressRange range)
    {
        if (JudgeInsert(range) != Verdict.Accepted)
        {
            throw new InvalidOperationException($"model: insert of {range} is not accepted");
        }

        _ranges.Add(range);
        Normalize();
        return _ranges.Single(stored => stored.Start <= range.Start && range.End <= stored.End);
    }

    /// <summary>Deletes an accepted range.</summary>
    public void Delete(AddressRange range)
    {
        AddressRange container = _ranges.Single(stored => stored.Start <= range.Start && range.End <= stored.End);
        _ranges.Remove(container);
        if (range.Start > container.Start)
        {
            _ranges.Add(new AddressRange(container.Start, range.Start - container.Start));
        }

        if (range.End < container.End)
        {
            _ranges.Add(new AddressRange(range.End, container.End - range.End));
        }

        Normalize();
    }

    public bool IsValidFind(long size, FindDelete delete) =>
        size > 0 && size % _grainBytes == 0 && delete is FindDelete.None or FindDelete.Low or FindDelete.High or FindDelete.Entire;

    /// <summary>First, last or largest (lowest address among equals) range of at least <paramref name="size"/>.</summary>
    public bool Find(FindKind kind, long size, FindDelete delete, out LandFindResult result)
    {
        List<AddressRange> fits = _ranges.Where(range => range.Size >= size).ToList();
        if (fits.Count == 0)
        {
            result = default;
            return false;
        }

        AddressRange found = kind switch
        {
            FindKind.First => fits[0],
            FindKind.Last => fits[^1],
            _ => fits.First(range => range.Size == fits.Max(other => other.Size)),
        };
        AddressRange deleted = delete switch
        {
            FindDelete.Low => new AddressRange(found.Start, size),
            FindDelete.High => new AddressRange(found.End - size, size),
            FindDelete.Entire => found,
            _ => default,
        };
        if (deleted.Size > 0)
        {
            Delete(deleted);
        }

        result = new LandFindResult(found, deleted);
        return true;
    }

    public void Clear() => _ranges = [];

    private void Normalize()
    {
        var sorted = _ranges.OrderBy(range => range.Start).ToList();
        var merged = new List<AddressRange>();
        foreach (AddressRange range in sorted)
        {
            if (merged.Count > 0 && merged[^1].End == range.Start)
            {
                merged[^1] = new AddressRange(merged[^1].Start, range.End - merged[^1].Start);
            }
            else
            {
                merged.Add(range);
            }
        }

        _ranges = merged;
    }
}

/// <summary>Which find operation a command performs.</summary>
public enum FindKind
{
    First,
    Last,
    Largest,
}
