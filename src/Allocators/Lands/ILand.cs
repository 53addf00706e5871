using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.Lands;

/// <summary>
/// A land: an abstract set of isolated address ranges (spec/land.md). Offsets are bytes; every range bound
/// is a multiple of <see cref="GrainBytes"/> and lies inside <see cref="Bounds"/>. Inserting a range merges
/// it with the ranges it touches, so no two stored ranges ever overlap or touch. Several implementations
/// share this contract and one property suite: <see cref="FreeListLand"/> (metadata inside the free memory,
/// O(n)) and <see cref="TreeLand"/> (an external augmented treap, O(log n)).
/// </summary>
/// <remarks>
/// Invalid arguments throw and change nothing: <see cref="ArgumentOutOfRangeException"/> for a value that is
/// wrong whatever the land holds (empty, misaligned, out of bounds), <see cref="ArgumentException"/> for one
/// that conflicts with what the land holds (overlap, not contained). Not finding a range is a normal
/// outcome (<c>false</c>). Implementations are not thread-safe.
/// </remarks>
public interface ILand
{
    /// <summary>The grain in bytes, a power of two: every range start and size is a multiple of it.</summary>
    long GrainBytes { get; }

    /// <summary>The range of offsets a stored range may occupy.</summary>
    AddressRange Bounds { get; }

    /// <summary>The sum of the sizes of the stored ranges, in bytes.</summary>
    long TotalSize { get; }

    /// <summary>The number of stored (isolated) ranges.</summary>
    int RangeCount { get; }

    /// <summary>
    /// Adds <paramref name="range"/> to the set, merging it with a stored range that ends at its start and/or
    /// one that starts at its end.
    /// </summary>
    /// <param name="range">A non-empty, grain-aligned range inside <see cref="Bounds"/> that overlaps no stored range.</param>
    /// <returns>The stored range that now contains <paramref name="range"/> (the merged range).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty, misaligned or outside <see cref="Bounds"/>; nothing changes.</exception>
    /// <exception cref="ArgumentException">The range overlaps a stored range; nothing changes.</exception>
    AddressRange Insert(AddressRange range);

    /// <summary>
    /// Removes <paramref name="range"/> from the set. It must lie wholly inside one stored range, which is
    /// shrunk, split in two, or removed.
    /// </summary>
    /// <param name="range">A non-empty, grain-aligned range inside one stored range.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty, misaligned or outside <see cref="Bounds"/>; nothing changes.</exception>
    /// <exception cref="ArgumentException">No single stored range contains the range; nothing changes.</exception>
    void Delete(AddressRange range);

    /// <summary>Whether <see cref="Insert"/> would accept <paramref name="range"/> (valid, and overlapping nothing stored).</summary>
    /// <param name="range">Any range.</param>
    /// <returns>True when inserting it would succeed.</returns>
    bool CanInsert(AddressRange range);

    /// <summary>Whether <see cref="Delete"/> would accept <paramref name="range"/> (valid, and inside one stored range).</summary>
    /// <param name="range">Any range.</param>
    /// <returns>True when deleting it would succeed.</returns>
    bool CanDelete(AddressRange range);

    /// <summary>Finds the lowest-addressed stored range of at least <paramref name="size"/> bytes.</summary>
    /// <param name="size">A positive multiple of <see cref="GrainBytes"/>.</param>
    /// <param name="delete">What to delete from the found range.</param>
    /// <param name="result">The found range and the part deleted from it, when the call succeeds.</param>
    /// <returns>False when no stored range is large enough; nothing changes then.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not a positive multiple of the grain, or <paramref name="delete"/> is undefined.</exception>
    bool TryFindFirst(long size, FindDelete delete, out LandFindResult result);

    /// <summary>Finds the highest-addressed stored range of at least <paramref name="size"/> bytes.</summary>
    /// <param name="size">A positive multiple of <see cref="GrainBytes"/>.</param>
    /// <param name="delete">What to delete from the found range.</param>
    /// <param name="result">The found range and the part deleted from it, when the call succeeds.</param>
    /// <returns>False when no stored range is large enough; nothing changes then.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not a positive multiple of the grain, or <paramref name="delete"/> is undefined.</exception>
    bool TryFindLast(long size, FindDelete delete, out LandFindResult result);

    /// <summary>
    /// Finds the largest stored range (the lowest-addressed one among equals) if it holds at least
    /// <paramref name="size"/> bytes.
    /// </summary>
    /// <param name="size">A positive multiple of <see cref="GrainBytes"/>.</param>
    /// <param name="delete">What to delete from the found range.</param>
    /// <param name="result">The found range and the part deleted from it, when the call succeeds.</param>
    /// <returns>False when no stored range is large enough; nothing changes then.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not a positive multiple of the grain, or <paramref name="delete"/> is undefined.</exception>
    bool TryFindLargest(long size, FindDelete delete, out LandFindResult result);

    /// <summary>
    /// Calls <paramref name="visitor"/> for each stored range in ascending address order until it returns
    /// false. The walk is bounded by <see cref="RangeCount"/>. The visitor must not modify the land.
    /// </summary>
    /// <typeparam name="TVisitor">The visitor; a struct visitor makes the walk allocation-free.</typeparam>
    /// <param name="visitor">Receives the ranges; passed by reference so a struct visitor can accumulate.</param>
    /// <returns>True when every range was visited, false when the visitor stopped the walk.</returns>
    /// <exception cref="InvalidOperationException">The visitor modified the land.</exception>
    /// <exception cref="InvariantViolationException">The structure is corrupted (for example a cyclic free list).</exception>
    bool Iterate<TVisitor>(ref TVisitor visitor)
        where TVisitor : ILandVisitor;

    /// <summary>
    /// Moves every stored range into <paramref name="target"/>, leaving this land empty. Every range is checked
    /// against the target first, so a rejected flush changes neither land.
    /// </summary>
    /// <param name="target">Another land, which must accept every range of this one (no overlap, its grain and bounds).</param>
    /// <exception cref="ArgumentException"><paramref name="target"/> is this land, or it would reject one of the ranges (overlap, alignment, bounds); nothing changes.</exception>
    void FlushTo(ILand target);

    /// <summary>Checks every LAND-* invariant that applies to this implementation (see <see cref="Veralloc.Invariants.InvariantIds.LandInvariantIds"/>).</summary>
    /// <exception cref="InvariantViolationException">An invariant is broken; the exception names its id and the offending range.</exception>
    void CheckInvariants();
}

/// <summary>What a find operation deletes from the range it finds.</summary>
public enum FindDelete
{
    /// <summary>Delete nothing: only report the range.</summary>
    None,

    /// <summary>Delete the requested size from the low end of the found range.</summary>
    Low,

    /// <summary>Delete the requested size from the high end of the found range.</summary>
    High,

    /// <summary>Delete the whole found range.</summary>
    Entire,
}

/// <summary>The outcome of a successful find.</summary>
/// <param name="Found">The whole stored range that was found, as it was before any deletion.</param>
/// <param name="Deleted">The part deleted from it; <c>default</c> (size 0) for <see cref="FindDelete.None"/>.</param>
public readonly record struct LandFindResult(AddressRange Found, AddressRange Deleted);

/// <summary>Receives the ranges of a land, in ascending address order, from <see cref="ILand.Iterate{TVisitor}"/>.</summary>
public interface ILandVisitor
{
    /// <summary>Visits one stored range.</summary>
    /// <param name="range">The range.</param>
    /// <returns>True to continue, false to stop the walk.</returns>
    bool Visit(AddressRange range);
}
