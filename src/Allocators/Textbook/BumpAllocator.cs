using System.Diagnostics.CodeAnalysis;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.Textbook;

/// <summary>
/// The textbook bump allocator over offsets <c>[startOffset, endOffset)</c>: a cursor <c>next</c> moves up;
/// an allocation aligns it up and advances it by the size; a counter of live allocations drops on free, and when
/// it reaches zero <c>next</c> returns to the start. Memory is reused only when everything has been freed.
/// </summary>
/// <remarks>
/// <para>
/// O(1) allocate and free. Never touches memory. Weakness: one long-lived allocation pins everything
/// allocated after it.
/// </para>
/// <para>
/// Free validation. Without a table the allocator can only check that <c>[offset, offset + size)</c> lies inside
/// <c>[start, next)</c> and that the offset honours the alignment; a double free or a made-up offset inside that
/// range is not detected and makes the counter reach zero early. With <c>trackAllocations</c> on, a side table
/// (offset → size) makes every free exact at the cost of one dictionary entry per live allocation.
/// </para>
/// <para>Not thread-safe.</para>
/// </remarks>
public sealed class BumpAllocator : IOffsetAllocator
{
    /// <summary>The largest accepted alignment: 1 MiB.</summary>
    public const long MaxAlignmentBytes = 1L << 20;

    private readonly long _startOffset;
    private readonly long _endOffset;
    private readonly Dictionary<long, long>? _liveSizes;
    private long _next;
    private long _liveCount;

    /// <summary>Creates an empty bump allocator over <c>[startOffset, endOffset)</c>.</summary>
    /// <param name="startOffset">The first offset handed out; not negative.</param>
    /// <param name="endOffset">The end of the range; at least <paramref name="startOffset"/>.</param>
    /// <param name="trackAllocations">Keep a side table of live allocations so that every free is validated exactly.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is negative or reversed.</exception>
    public BumpAllocator(long startOffset, long endOffset, bool trackAllocations = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startOffset);
        if (endOffset < startOffset)
        {
            throw new ArgumentOutOfRangeException(nameof(endOffset), endOffset,
                $"The end offset {endOffset} must be at least the start offset {startOffset}.");
        }

        _startOffset = startOffset;
        _endOffset = endOffset;
        _next = startOffset;
        _liveSizes = trackAllocations ? new Dictionary<long, long>() : null;
    }

    /// <summary>The first offset of the range.</summary>
    public long StartOffset => _startOffset;

    /// <summary>The end of the range (exclusive).</summary>
    public long EndOffset => _endOffset;

    /// <summary>The cursor: the next allocation starts at or above it.</summary>
    public long Next => _next;

    /// <summary>The number of live allocations.</summary>
    public long LiveCount => _liveCount;

    /// <summary>Whether frees are validated against a side table.</summary>
    public bool TracksAllocations => _liveSizes is not null;

    /// <inheritdoc />
    /// <remarks>The offset is <c>roundUp(next, alignment)</c>; false (nothing changes) when the allocation would pass the end or overflow.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive, or <paramref name="alignment"/> is not a power of two in <c>1..MaxAlignmentBytes</c>.</exception>
    public bool TryAllocate(long size, long alignment, out long offset)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        offset = 0;
        long mask = alignment - 1;
        if (_next > long.MaxValue - mask)
        {
            return false;
        }

        long aligned = (_next + mask) & ~mask;
        if (size > _endOffset - aligned)
        {
            return false;
        }

        _liveSizes?.Add(aligned, size);
        _next = aligned + size;
        _liveCount++;
        offset = aligned;
        return true;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Checks that the range lies in <c>[start, next)</c> and the offset honours the alignment (with tracking: that it
    /// is a live allocation of that size). When the last live allocation is freed, <c>next</c> returns to the start.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> or <paramref name="alignment"/> breaks the rules of <see cref="TryAllocate"/>.</exception>
    /// <exception cref="ArgumentException">The range is not inside <c>[start, next)</c>, breaks the alignment, or (with tracking) is not a live allocation of that size.</exception>
    public void Free(long offset, long size, long alignment)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        if (offset < _startOffset || offset >= _next || size > _next - offset)
        {
            ThrowOutsideAllocated(offset, size);
        }

        if ((offset & (alignment - 1)) != 0)
        {
            TextbookArguments.ThrowAlignmentMismatch(offset, alignment);
        }

        if (_liveSizes is not null)
        {
            if (!_liveSizes.TryGetValue(offset, out long liveSize))
            {
                TextbookArguments.ThrowNotAllocated(offset);
            }

            if (liveSize != size)
            {
                throw new ArgumentException($"Size {size} differs from the size {liveSize} allocated at offset {offset}.", nameof(size));
            }

            _liveSizes.Remove(offset);
        }

        _liveCount--;
        if (_liveCount == 0)
        {
            _next = _startOffset;
        }
    }

    /// <inheritdoc />
    /// <remarks>O(1) without tracking, O(live allocations) with it.</remarks>
    // Never inlined, so that a violation's stack trace always names the structure that found it, even where the
    // JIT would inline this into a caller or into a delegate call it has devirtualised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CheckInvariants()
    {
        Invariant.ThrowIfViolated(
            Invariant.Require(_startOffset <= _next && _next <= _endOffset, TextbookInvariantIds.BumpBounds, "cursor",
                () => $"next {_next} must lie in [{_startOffset}, {_endOffset}]"));
        Invariant.ThrowIfViolated(
            Invariant.Require(_liveCount >= 0, TextbookInvariantIds.BumpLive, "live counter", () => $"the live count {_liveCount} is negative"));
        Invariant.ThrowIfViolated(
            Invariant.Require(_liveCount != 0 || _next == _startOffset, TextbookInvariantIds.BumpReset, "cursor",
                () => $"no allocation is live but next is {_next}, not the start {_startOffset}"));
        if (_liveSizes is null)
        {
            return;
        }

        Invariant.ThrowIfViolated(
            Invariant.Require(_liveSizes.Count == _liveCount, TextbookInvariantIds.BumpLive, "live counter",
                () => $"the live count is {_liveCount} but the table holds {_liveSizes.Count} allocations"));
        foreach (KeyValuePair<long, long> live in _liveSizes)
        {
            Invariant.ThrowIfViolated(
                Invariant.Require(live.Key >= _startOffset && live.Value > 0 && live.Value <= _next - live.Key, TextbookInvariantIds.BumpLive,
                    $"allocation at {live.Key}", () => $"[{live.Key}, +{live.Value}) must lie inside [{_startOffset}, {_next})"));
        }
    }

    internal void SetNextForTest(long next) => _next = next;

    internal void SetLiveCountForTest(long liveCount) => _liveCount = liveCount;

    [DoesNotReturn]
    private void ThrowOutsideAllocated(long offset, long size) =>
        throw new ArgumentException(
            $"The range at offset {offset} of size {size} must lie inside the allocated part [{_startOffset}, {_next}).", nameof(offset));
}
