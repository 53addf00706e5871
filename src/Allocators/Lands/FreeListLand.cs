using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.Lands;

/// <summary>
/// The free-list land of SEED-SEMANTICS §2: isolated ranges on an ascending, singly linked list threaded
/// through the free memory itself, with zero space overhead. The grain is one word
/// (<see cref="LinearMemory.WordBytes"/>), so a range of one grain has room only for its <c>next</c> word:
/// <code>
///  two or more grains                         exactly one grain
///  +------------------+------------------+    +------------------+
///  | next         | 0 | limit (end)      |    | next         | 1 |
///  +------------------+------------------+    +------------------+
///  ^ range start       ^ start + 8             ^ range start
/// </code>
/// Bit 0 of the first word is the tag (set = one grain, no limit word); the rest is the start of the next
/// range, or <see cref="EndOfList"/>. Starts are grain-aligned, so bit 0 of a real offset is always free.
/// The land itself records only the head, the range count, the total size and a maximum-size hint.
/// </summary>
/// <remarks>
/// Every operation is O(n) in <see cref="RangeCount"/> (a walk from the head) and allocates nothing.
/// Every walk is cut off after the recorded count, so a list that a client write made cyclic is reported
/// as <see cref="LandInvariantIds.Count"/> instead of looping, and validates each node before trusting it
/// (ascending, isolated, inside the memory, a consistent tag and limit), so a corrupted word is reported as
/// an <see cref="InvariantViolationException"/> naming the node, with nothing changed, never as a range
/// outside the memory. A range of three grains or more also keeps a boundary tag (its start and limit mixed)
/// in its last word, checked wherever a limit is about to be trusted to hand out, report or merge memory, so a
/// limit rewritten into another plausible value (grown into the gap above it) is reported as
/// <see cref="LandInvariantIds.EndTag"/> instead of being acted on (docs/design-notes/0016-boundary-tags.md).
/// The maximum-size hint is an upper bound on the largest range (raised by inserts, made exact by each full
/// find-largest scan, reset when the list empties): a find of more than the hint returns false without walking. Not thread-safe. See docs/design-notes/0040-lands.md.
/// </remarks>
public sealed class FreeListLand : ILand
{
    /// <summary>The end-of-list sentinel stored in the last node's next word: grain-aligned, and never a valid offset.</summary>
    public const long EndOfList = -LinearMemory.WordBytes;

    /// <summary>The tag bit: set in a node's first word when the range is exactly one grain.</summary>
    internal const long SingleGrainTag = 1;

    private const long Grain = LinearMemory.WordBytes;

    private readonly ILinearMemory _memory;
    private long _head = EndOfList;
    private int _count;
    private long _totalBytes;
    private long _maxSizeHint;
    private int _version;

    /// <summary>Creates an empty land over <paramref name="memory"/>; the ranges it stores hold its list nodes.</summary>
    /// <param name="memory">The memory whose free ranges the land records; the land writes inside those ranges only.</param>
    public FreeListLand(ILinearMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
    }

    /// <inheritdoc />
    public long GrainBytes => Grain;

    /// <summary>The whole memory, <c>[0, SizeBytes)</c>: it grows with the memory.</summary>
    public AddressRange Bounds => new(0, _memory.SizeBytes);

    /// <inheritdoc />
    public long TotalSize => _totalBytes;

    /// <inheritdoc />
    public int RangeCount => _count;

    /// <summary>An upper bound on the size of the largest stored range (exact after a find-largest scan).</summary>
    public long MaxSizeHint => _maxSizeHint;

    /// <summary>The start of the first range, or <see cref="EndOfList"/>.</summary>
    internal long Head => _head;

    /// <inheritdoc />
    public AddressRange Insert(AddressRange range)
    {
        LandRules.ValidateRange(range, Grain, Bounds, nameof(range));
        long start = range.Start;
        long end = range.End;
        Position at = Locate(start);
        long prev = at.Prev;
        long prevLimit = at.PrevLimit;
        long cur = at.Cur;
        long curNext = at.CurNext;
        long curLimit = at.CurLimit;
        if (prev != EndOfList && prevLimit >= start)
        {
            // Prev's limit decides a merge or an overlap report: it must be the one the land wrote.
            CheckEndTag(prev, prevLimit);
        }

        bool joinAbove = cur == end;
        if (joinAbove)
        {
            CheckEndTag(cur, curLimit);
        }

        if (prevLimit > start)
        {
            LandRules.ThrowOverlap(range, new AddressRange(prev, prevLimit - prev), nameof(range));
        }

        if (cur != EndOfList && cur < end)
        {
            LandRules.ThrowOverlap(range, new AddressRange(cur, curLimit - cur), nameof(range));
        }

        bool joinBelow = prevLimit == start;
        AddressRange merged;
        if (joinBelow)
        {
            // Prev's last word becomes the inside of a larger range: a stale tag there could later confirm a forged limit.
            ClearLastWord(prev, prevLimit);
        }

        if (joinBelow && joinAbove)
        {
            WriteNode(prev, curNext, curLimit);
            _count--;
            merged = new AddressRange(prev, curLimit - prev);
        }
        else if (joinBelow)
        {
            WriteNode(prev, cur, end);
            merged = new AddressRange(prev, end - prev);
        }
        else if (joinAbove)
        {
            // The old node was read (by Locate) before the new one is written: a one-grain insert's limit word would overwrite it.
            WriteNode(start, curNext, curLimit);
            Link(prev, start);
            merged = new AddressRange(start, curLimit - start);
        }
        else
        {
            WriteNode(start, cur, end);
            Link(prev, start);
            _count++;
            merged = range;
        }

        _totalBytes += range.Size;
        _maxSizeHint = Math.Max(_maxSizeHint, merged.Size);
        _version++;
        return merged;
    }

    /// <inheritdoc />
    public void Delete(AddressRange range)
    {
        LandRules.ValidateRange(range, Grain, Bounds, nameof(range));
        if (!TryLocateContainer(range, out long containerPrev, out long container, out long next, out long limit))
        {
            LandRules.ThrowNotContained(range, nameof(range));
        }

        Carve(containerPrev, container, next, limit, range);
    }

    /// <inheritdoc />
    public bool CanInsert(AddressRange range)
    {
        if (!LandRules.IsValidRange(range, Grain, Bounds))
        {
            return false;
        }

        Position at = Locate(range.Start);
        if (at.Prev != EndOfList)
        {
            CheckEndTag(at.Prev, at.PrevLimit);
        }

        bool clearBelow = at.Prev == EndOfList || at.PrevLimit <= range.Start;
        bool clearAbove = at.Cur == EndOfList || at.Cur >= range.End;
        return clearBelow && clearAbove;
    }

    /// <inheritdoc />
    public bool CanDelete(AddressRange range) =>
        LandRules.IsValidRange(range, Grain, Bounds) && TryLocateContainer(range, out _, out _, out _, out _);

    /// <inheritdoc />
    public bool TryFindFirst(long size, FindDelete delete, out LandFindResult result)
    {
        LandRules.ValidateFind(size, delete, Grain);
        if (size <= _maxSizeHint)
        {
            long memoryBytes = _memory.SizeBytes;
            long prev = EndOfList;
            long lowerBound = 0;
            long node = _head;
            for (int steps = 0; node != EndOfList; steps++)
            {
                CountStep(steps);
                ReadCheckedNode(prev, node, lowerBound, memoryBytes, out long next, out long limit);
                if (limit - node >= size)
                {
                    // The walk stops here, so the next node will not be reached: check now that it starts past this limit.
                    CheckNextClears(node, next, limit);
                    CheckEndTag(node, limit);
                    result = Take(prev, node, next, limit, size, delete);
                    return true;
                }

                prev = node;
                lowerBound = limit + Grain;
                node = next;
            }
        }

        result = default;
        return false;
    }

    /// <inheritdoc />
    public bool TryFindLast(long size, FindDelete delete, out LandFindResult result)
    {
        LandRules.ValidateFind(size, delete, Grain);
        long fitPrev = EndOfList;
        long fit = EndOfList;
        long fitNext = EndOfList;
        long fitLimit = 0;
        if (size <= _maxSizeHint)
        {
            long memoryBytes = _memory.SizeBytes;
            long prev = EndOfList;
            long lowerBound = 0;
            long node = _head;
            for (int steps = 0; node != EndOfList; steps++)
            {
                CountStep(steps);
                ReadCheckedNode(prev, node, lowerBound, memoryBytes, out long next, out long limit);
                if (limit - node >= size)
                {
                    (fitPrev, fit, fitNext, fitLimit) = (prev, node, next, limit);
                }

                prev = node;
                lowerBound = limit + Grain;
                node = next;
            }
        }

        if (fit == EndOfList)
        {
            result = default;
            return false;
        }

        CheckEndTag(fit, fitLimit);
        result = Take(fitPrev, fit, fitNext, fitLimit, size, delete);
        return true;
    }

    /// <inheritdoc />
    public bool TryFindLargest(long size, FindDelete delete, out LandFindResult result)
    {
        LandRules.ValidateFind(size, delete, Grain);
        if (size > _maxSizeHint)
        {
            result = default;
            return false;
        }

        long memoryBytes = _memory.SizeBytes;
        long bestPrev = EndOfList;
        long best = EndOfList;
        long bestNext = EndOfList;
        long bestSize = 0;
        long prev = EndOfList;
        long lowerBound = 0;
        long node = _head;
        for (int steps = 0; node != EndOfList; steps++)
        {
            CountStep(steps);
            ReadCheckedNode(prev, node, lowerBound, memoryBytes, out long next, out long limit);
            if (limit - node > bestSize)
            {
                (bestPrev, best, bestNext, bestSize) = (prev, node, next, limit - node);
            }

            prev = node;
            lowerBound = limit + Grain;
            node = next;
        }

        if (best != EndOfList)
        {
            // The largest size becomes the hint and perhaps the result: confirm it before either.
            CheckEndTag(best, best + bestSize);
        }

        // The scan saw every range, so the hint becomes exact; later finds above it exit without walking.
        _maxSizeHint = bestSize;
        if (bestSize < size)
        {
            result = default;
            return false;
        }

        result = Take(bestPrev, best, bestNext, best + bestSize, size, delete);
        return true;
    }

    /// <inheritdoc />
    public bool Iterate<TVisitor>(ref TVisitor visitor)
        where TVisitor : ILandVisitor
    {
        int version = _version;
        long memoryBytes = _memory.SizeBytes;
        long prev = EndOfList;
        long lowerBound = 0;
        long node = _head;
        int steps = 0;
        for (; node != EndOfList; steps++)
        {
            CountStep(steps);
            ReadCheckedNode(prev, node, lowerBound, memoryBytes, out long next, out long limit);
            CheckEndTag(node, limit);
            if (!visitor.Visit(new AddressRange(node, limit - node)))
            {
                return false;
            }

            if (_version != version)
            {
                ThrowModifiedDuringIteration();
            }

            prev = node;
            lowerBound = limit + Grain;
            node = next;
        }

        if (steps != _count)
        {
            ThrowCountMismatch(steps);
        }

        return true;
    }

    /// <inheritdoc />
    public void FlushTo(ILand target) => LandFlush.Move(this, target);

    /// <inheritdoc />
    // Never inlined, so that a violation's stack trace always names the structure that found it, even where the
    // JIT would inline this into a caller or into a delegate call it has devirtualised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CheckInvariants()
    {
        long memoryBytes = _memory.SizeBytes;
        long unreadable = _head == EndOfList || IsReadableWord(_head, memoryBytes) ? EndOfList : _head;
        var nodes = new List<long>(_count);

        // A link to a word the land cannot read ends the walk there and is reported as what it is (outside
        // the memory, or misaligned) rather than as a miscount.
        InvariantViolation? walk = BoundedWalk.Collect(
            unreadable == EndOfList ? _head : EndOfList,
            node => node == EndOfList,
            node =>
            {
                long successor = _memory.ReadWord(node) & ~SingleGrainTag;
                if (successor != EndOfList && !IsReadableWord(successor, memoryBytes))
                {
                    unreadable = successor;
                    return EndOfList;
                }

                return successor;
            },
            _count,
            nodes,
            LandInvariantIds.Count,
            "free-list land");
        Invariant.ThrowIfViolated(walk);
        if (unreadable != EndOfList)
        {
            string subject = $"node@0x{unreadable:x}";
            Invariant.ThrowIfViolated((unreadable & (Grain - 1)) != 0
                ? new InvariantViolation(LandInvariantIds.Aligned, subject, $"a list link points at 0x{unreadable:x}, which is not a multiple of the grain ({Grain} bytes)")
                : new InvariantViolation(LandInvariantIds.Bounds, subject, $"a list link points at 0x{unreadable:x}, outside the memory [0x0, 0x{memoryBytes:x})"));
        }

        Invariant.ThrowIfViolated(Invariant.Require(nodes.Count == _count, LandInvariantIds.Count, "free-list land",
            () => $"the walk from the head met the end of the list after {nodes.Count} ranges but {_count} are recorded"));

        var ranges = new AddressRange[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            Invariant.ThrowIfViolated(ReadCheckedRange(nodes[i], i, memoryBytes, out ranges[i]));
        }

        Invariant.ThrowIfViolated(RangeSequenceChecks.Sorted(ranges, RangeOrder.Ascending, LandInvariantIds.Sorted));
        Invariant.ThrowIfViolated(RangeSequenceChecks.MinimumSize(ranges, Grain, LandInvariantIds.NonEmpty));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Aligned(ranges, Grain, LandInvariantIds.Aligned));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Isolated(ranges, LandInvariantIds.Isolated));
        Invariant.ThrowIfViolated(RangeSequenceChecks.WithinBounds(ranges, 0, memoryBytes, LandInvariantIds.Bounds));
        long sum = RangeSequenceChecks.TotalSize(ranges);
        Invariant.ThrowIfViolated(Invariant.Require(sum == _totalBytes, LandInvariantIds.Total, "free-list land",
            () => $"the ranges add up to {sum} bytes but the recorded total is {_totalBytes}"));
        for (int i = 0; i < ranges.Length; i++)
        {
            AddressRange range = ranges[i];
            Invariant.ThrowIfViolated(Invariant.Require(range.Size <= _maxSizeHint, LandInvariantIds.Hint, $"range #{i} {range}",
                () => $"the range holds {range.Size} bytes but the maximum-size hint is {_maxSizeHint}, so find-largest would miss it"));
        }

        for (int i = 0; i < ranges.Length; i++)
        {
            AddressRange range = ranges[i];
            if (range.Size > 2 * Grain)
            {
                long word = _memory.ReadWord(range.End - Grain);
                Invariant.ThrowIfViolated(Invariant.Require(word == RangeEndTag.Of(range.Start, range.End), LandInvariantIds.EndTag, $"range #{i} node@0x{range.Start:x}",
                    () => $"the word at 0x{range.End - Grain:x} is 0x{word:x}, not the boundary tag of {range}"));
            }
        }
    }

    /// <summary>Test hook: overwrites the recorded range count.</summary>
    internal void CorruptCountForTest(int count) => _count = count;

    /// <summary>Test hook: shifts the recorded total.</summary>
    internal void CorruptTotalForTest(long deltaBytes) => _totalBytes += deltaBytes;

    /// <summary>Test hook: overwrites the maximum-size hint.</summary>
    internal void CorruptHintForTest(long hintBytes) => _maxSizeHint = hintBytes;

    private InvariantViolation? ReadCheckedRange(long node, int position, long memoryBytes, out AddressRange range)
    {
        string subject = $"range #{position} node@0x{node:x}";
        long first = _memory.ReadWord(node);
        if ((first & SingleGrainTag) != 0)
        {
            range = new AddressRange(node, Grain);
            return null;
        }

        range = new AddressRange(node, 0);
        if (node > memoryBytes - (2 * Grain))
        {
            return new InvariantViolation(LandInvariantIds.Bounds, subject,
                $"the node is untagged, so its limit word at 0x{node + Grain:x} must lie inside the memory [0x0, 0x{memoryBytes:x})");
        }

        long limit = _memory.ReadWord(node + Grain);
        range = new AddressRange(node, limit - node);
        if (limit < node + (2 * Grain))
        {
            return new InvariantViolation(LandInvariantIds.Tag, subject,
                $"the tag bit is clear, which means a range of at least {2 * Grain} bytes, but the limit word is 0x{limit:x}; a one-grain range must set the tag");
        }

        return null;
    }

    /// <summary>
    /// Finds the last node starting below <paramref name="offset"/> (<see cref="Position.Prev"/>) and the first
    /// starting at or above it (<see cref="Position.Cur"/>), either possibly <see cref="EndOfList"/>, with their
    /// validated words: every node up to and including <c>Cur</c> has passed <see cref="ReadCheckedNode"/>.
    /// </summary>
    private Position Locate(long offset)
    {
        long memoryBytes = _memory.SizeBytes;
        long prev = EndOfList;
        long prevLimit = long.MinValue;
        long lowerBound = 0;
        long cur = _head;
        for (int steps = 0; cur != EndOfList; steps++)
        {
            CountStep(steps);
            ReadCheckedNode(prev, cur, lowerBound, memoryBytes, out long next, out long limit);
            if (cur >= offset)
            {
                // The walk stops at Cur, so its next node will not be reached: check now that it starts past Cur's limit.
                CheckNextClears(cur, next, limit);
                return new Position(prev, prevLimit, cur, next, limit);
            }

            prev = cur;
            prevLimit = limit;
            lowerBound = limit + Grain;
            cur = next;
        }

        return new Position(prev, prevLimit, EndOfList, EndOfList, long.MinValue);
    }

    /// <summary>Finds the stored range containing <paramref name="range"/>, and its predecessor on the list.</summary>
    private bool TryLocateContainer(AddressRange range, out long containerPrev, out long container, out long next, out long limit)
    {
        Position at = Locate(range.Start);
        if (at.Cur == range.Start)
        {
            (containerPrev, container, next, limit) = (at.Prev, at.Cur, at.CurNext, at.CurLimit);
        }
        else
        {
            // The range starts strictly inside prev (if anywhere), so prev is never unlinked: its own predecessor is
            // not needed. Prev's next word is Cur, which the walk read and validated.
            (containerPrev, container, next, limit) = (EndOfList, at.Prev, at.Cur, at.PrevLimit);
        }

        if (container == EndOfList || limit < range.End)
        {
            return false;
        }

        // The container's limit is what makes the range count as stored.
        CheckEndTag(container, limit);
        return true;
    }

    /// <summary>Removes <paramref name="part"/> from the node <paramref name="node"/> (which contains it): unlink, trim, or split.</summary>
    private void Carve(long prev, long node, long next, long limit, AddressRange part)
    {
        Debug.Assert(node <= part.Start && part.End <= limit, "the part lies inside the node's range");
        bool keepLow = part.Start > node;
        bool keepHigh = part.End < limit;
        if (!keepLow && !keepHigh)
        {
            Link(prev, next);
            ClearLastWord(node, limit);
            _count--;
        }
        else if (!keepLow)
        {
            WriteNode(part.End, next, limit);
            Link(prev, part.End);
        }
        else if (!keepHigh)
        {
            ClearLastWord(node, limit);
            WriteNode(node, next, part.Start);
        }
        else
        {
            WriteNode(part.End, next, limit);
            WriteNode(node, part.End, part.Start);
            _count++;
        }

        _totalBytes -= part.Size;
        if (_count == 0)
        {
            _maxSizeHint = 0;
        }

        _version++;
    }

    private LandFindResult Take(long prev, long node, long next, long limit, long size, FindDelete delete)
    {
        var found = new AddressRange(node, limit - node);
        AddressRange deleted = LandRules.DeletedPart(found, size, delete);
        if (deleted.Size > 0)
        {
            Carve(prev, node, next, limit, deleted);
        }

        return new LandFindResult(found, deleted);
    }

    /// <summary>
    /// Reads the node at <paramref name="node"/> and validates what a walk is about to trust, before it reads
    /// or writes anything else: the node is grain-aligned, its words lie in the memory, it starts at or above
    /// <paramref name="lowerBound"/> (one grain past the previous range's limit, so the list ascends and its
    /// ranges stay isolated, which also rules out a cycle), and an untagged node's limit is grain-aligned,
    /// at least two grains past its start and inside the memory. So every range a walk reports, finds or
    /// carves lies inside the memory, and every word it touches is one of the list's own. A few compares per
    /// node; a failure is an <see cref="InvariantViolationException"/> naming the node, thrown before anything
    /// changes (docs/design-notes/0007-validated-walks.md).
    /// </summary>
    private void ReadCheckedNode(long prev, long node, long lowerBound, long memoryBytes, out long next, out long limit)
    {
        if ((node & (Grain - 1)) != 0 || node < lowerBound || node > memoryBytes - Grain)
        {
            ThrowCorruptLink(prev, node, lowerBound, memoryBytes);
        }

        long first = _memory.ReadWord(node);
        next = first & ~SingleGrainTag;
        if ((first & SingleGrainTag) != 0)
        {
            limit = node + Grain;
            return;
        }

        if (node > memoryBytes - (2 * Grain))
        {
            ThrowCorruptLimit(node, null, memoryBytes);
        }

        limit = _memory.ReadWord(node + Grain);
        if ((limit & (Grain - 1)) != 0 || limit < node + (2 * Grain) || limit > memoryBytes)
        {
            ThrowCorruptLimit(node, limit, memoryBytes);
        }
    }

    private void WriteNode(long node, long next, long limit)
    {
        Debug.Assert(limit - node >= Grain, "a node holds at least one grain");
        if (limit - node == Grain)
        {
            _memory.WriteWord(node, next | SingleGrainTag);
        }
        else
        {
            _memory.WriteWord(node, next);
            _memory.WriteWord(node + Grain, limit);
            if (limit - node > 2 * Grain)
            {
                _memory.WriteWord(limit - Grain, RangeEndTag.Of(node, limit));
            }
        }
    }

    /// <summary>
    /// Overwrites the last word of <c>[node, limit)</c> (its tag, a two-grain node's limit word, or a one-grain node's
    /// only word) when the range stops ending at <paramref name="limit"/>, so that nothing the land leaves behind in
    /// memory that is no longer the range's can confirm a forged limit or pass for a node later.
    /// </summary>
    private void ClearLastWord(long node, long limit)
    {
        Debug.Assert(limit - node >= Grain, "a range holds at least one grain");
        _memory.WriteWord(limit - Grain, RangeEndTag.Cleared);
    }

    /// <summary>
    /// Confirms the limit <paramref name="limit"/> of the node <paramref name="node"/> (already validated in shape
    /// by <see cref="ReadCheckedNode"/>) before it is trusted to hand out, report or merge memory: a range of three
    /// grains or more must hold <see cref="RangeEndTag.Of"/> in its last word. A two-grain range's last word is its
    /// limit word itself, so it confirms itself. One load; a mismatch is LAND-ENDTAG, thrown before anything changes.
    /// </summary>
    private void CheckEndTag(long node, long limit)
    {
        if (limit - node > 2 * Grain)
        {
            long word = _memory.ReadWord(limit - Grain);
            if (word != RangeEndTag.Of(node, limit))
            {
                ThrowEndTagMismatch(node, limit, word);
            }
        }
    }

    private void Link(long prev, long next)
    {
        if (prev == EndOfList)
        {
            _head = next;
        }
        else
        {
            long tag = _memory.ReadWord(prev) & SingleGrainTag;
            _memory.WriteWord(prev, next | tag);
        }
    }

    private void CountStep(int steps)
    {
        if (steps >= _count)
        {
            ThrowWalkOverrun();
        }
    }

    private static bool IsReadableWord(long node, long memoryBytes) =>
        node >= 0 && (node & (Grain - 1)) == 0 && node <= memoryBytes - Grain;

    /// <summary>
    /// Where a walk stops at a node and uses its range without arriving at the next one (which would validate the
    /// link), the next node must start at least one grain past this node's limit, or the range overlaps or
    /// touches it.
    /// </summary>
    private static void CheckNextClears(long node, long next, long limit)
    {
        if (next != EndOfList && next < limit + Grain)
        {
            ThrowCorruptLink(node, next, limit + Grain, long.MaxValue);
        }
    }

    [DoesNotReturn]
    private static void ThrowCorruptLink(long prev, long node, long lowerBound, long memoryBytes)
    {
        string holder = prev == EndOfList ? "the head" : $"the next word of node@0x{prev:x}";
        (string id, string rule) =
            (node & (Grain - 1)) != 0 ? (LandInvariantIds.Aligned, $"is not a multiple of the grain ({Grain} bytes)")
            : node < 0 || node > memoryBytes - Grain ? (LandInvariantIds.Bounds, $"lies outside the memory [0x0, 0x{memoryBytes:x})")
            : node <= prev ? (LandInvariantIds.Sorted, "does not go up, so the list may be cyclic")
            : (LandInvariantIds.Isolated, $"lies inside or touches the range before it, which ends at 0x{lowerBound - Grain:x}");
        new InvariantViolation(id, $"node@0x{node:x}",
            $"{holder} points at 0x{node:x}, which {rule}: the list is corrupted (client code wrote into free memory?); nothing was changed").Throw();
    }

    [DoesNotReturn]
    private static void ThrowEndTagMismatch(long node, long limit, long word) =>
        new InvariantViolation(LandInvariantIds.EndTag, $"node@0x{node:x}",
            $"the node's limit word says 0x{limit:x}, but the word at 0x{limit - Grain:x} is 0x{word:x}, not the boundary tag of [0x{node:x}, 0x{limit:x}): the limit or the range's last word was overwritten (client code wrote into free memory?); nothing was changed").Throw();

    [DoesNotReturn]
    private static void ThrowCorruptLimit(long node, long? limit, long memoryBytes)
    {
        (string id, string rule) =
            limit is null ? (LandInvariantIds.Bounds, $"has its tag clear, but its limit word would lie outside the memory [0x0, 0x{memoryBytes:x})")
            : (limit.Value & (Grain - 1)) != 0 ? (LandInvariantIds.Aligned, $"has limit 0x{limit.Value:x}, which is not a multiple of the grain ({Grain} bytes)")
            : limit.Value < node + (2 * Grain) ? (LandInvariantIds.Tag, $"has its tag clear, which means at least {2 * Grain} bytes, but its limit is 0x{limit.Value:x}")
            : (LandInvariantIds.Bounds, $"has limit 0x{limit.Value:x}, outside the memory [0x0, 0x{memoryBytes:x})");
        new InvariantViolation(id, $"node@0x{node:x}",
            $"the node {rule}: the list is corrupted (client code wrote into free memory?); nothing was changed").Throw();
    }

    /// <summary>What <see cref="Locate"/> found: the node before an offset and the node at or after it, with their validated words.</summary>
    private readonly record struct Position(long Prev, long PrevLimit, long Cur, long CurNext, long CurLimit);

    [DoesNotReturn]
    private void ThrowWalkOverrun() =>
        new InvariantViolation(LandInvariantIds.Count, "free-list land",
            $"the walk passed the recorded {_count} ranges without reaching the end of the list: the list is cyclic or was overwritten").Throw();

    [DoesNotReturn]
    private void ThrowCountMismatch(int steps) =>
        new InvariantViolation(LandInvariantIds.Count, "free-list land",
            $"the walk from the head met the end of the list after {steps} ranges but {_count} are recorded").Throw();

    [DoesNotReturn]
    private static void ThrowModifiedDuringIteration() =>
        throw new InvalidOperationException("The land was modified by the visitor during Iterate; a visitor must only read.");
}
