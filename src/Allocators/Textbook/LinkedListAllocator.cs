using System.Diagnostics.CodeAnalysis;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.Textbook;

/// <summary>
/// The textbook unsorted linked-list allocator over a fixed <see cref="ILinearMemory"/>: free regions form a
/// singly linked list stored in the free memory itself, each region starting with a 16-byte node
/// <c>(size, next)</c>; allocation is first fit from the head, and freed regions are pushed at the head without
/// merging, so the memory fragments.
/// </summary>
/// <remarks>
/// <para>
/// Sizes. A request uses <c>full = max(roundUp(size, 8), 16)</c> bytes at an offset aligned to
/// <c>max(alignment, 8)</c>, so every region stays word-aligned and can hold its node.
/// </para>
/// <para>
/// First fit. The walk from the head takes the first region <c>[s, e)</c> where <c>a = roundUp(s, alignment)</c>
/// and <c>a + full &lt;= e</c>, and whose leftovers <c>a - s</c> (front) and <c>e - (a + full)</c> (back) are each
/// zero or at least one node (16 bytes); a region with a smaller leftover is skipped, since the leftover could not
/// hold its node. The region leaves the list; its back leftover, then its front leftover, are pushed at the head
/// (so the front leftover becomes the head).
/// </para>
/// <para>
/// Costs and weaknesses. Allocation is O(free regions); free is O(1) (O(free regions) with checked frees).
/// Regions never merge, so after churn a request can fail although enough adjacent free bytes exist. The
/// metadata lives in client memory: a stray write corrupts it (<see cref="CheckInvariants"/> detects what it can).
/// A region larger than one node keeps a boundary tag (its start and end mixed) in its last word, checked before
/// a size is trusted to hand out or report memory, so a size grown over live memory is reported as LL-ENDTAG
/// instead of being acted on (docs/design-notes/0016-boundary-tags.md).
/// Without checked frees, a double free is not detected by <see cref="Free"/>; with them, a free that overlaps a
/// free region is rejected, and a side table of live allocations (offset to occupied bytes) rejects every free
/// that does not name one exactly: foreign, interior or wrong-size.
/// </para>
/// <para>The memory is not grown: the allocator manages the pages present when it is created. Not thread-safe.</para>
/// </remarks>
public sealed class LinkedListAllocator : IOffsetAllocator
{
    /// <summary>The size of a free-list node <c>(size, next)</c>, and so the smallest region.</summary>
    public const long NodeBytes = 2 * LinearMemory.WordBytes;

    /// <summary>The largest accepted alignment: 1 MiB.</summary>
    public const long MaxAlignmentBytes = 1L << 20;

    private const long WordBytes = LinearMemory.WordBytes;
    private const long None = -1;

    private readonly ILinearMemory _memory;
    private readonly long _managedBytes;
    private readonly bool _checkFrees;
    private readonly Dictionary<long, long>? _liveFull;
    private long _head = None;
    private long _freeBytes;
    private long _liveBytes;

    /// <summary>Creates an allocator managing the memory's current pages <c>[0, memory.SizeBytes)</c> as one free region.</summary>
    /// <param name="memory">The memory; its current size is managed and never grown.</param>
    /// <param name="checkFrees">Reject a free that overlaps a free region (costs a walk of the list per free) or that names no live allocation exactly (costs a dictionary entry per live allocation).</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    public LinkedListAllocator(ILinearMemory memory, bool checkFrees = false)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        _managedBytes = memory.SizeBytes;
        _checkFrees = checkFrees;
        _liveFull = checkFrees ? [] : null;
        if (_managedBytes >= NodeBytes)
        {
            Push(0, _managedBytes);
            _freeBytes = _managedBytes;
        }
    }

    /// <summary>The managed bytes <c>[0, ManagedBytes)</c>.</summary>
    public long ManagedBytes => _managedBytes;

    /// <summary>The bytes in free regions.</summary>
    public long FreeBytes => _freeBytes;

    /// <summary>The bytes in live allocations (each as <c>max(roundUp(size, 8), 16)</c>).</summary>
    public long LiveBytes => _liveBytes;

    /// <summary>The first region of the free list, or -1 when it is empty.</summary>
    public long HeadOffset => _head;

    /// <summary>The bytes one request of <paramref name="size"/> occupies: <c>max(roundUp(size, 8), 16)</c>.</summary>
    /// <param name="size">A positive size no larger than <c>long.MaxValue - 7</c>.</param>
    /// <returns>The rounded size.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive, or rounding it up to a word overflows.</exception>
    public static long FullSize(long size)
    {
        if (size <= 0 || size > long.MaxValue - (WordBytes - 1))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size,
                $"The size is {size}; it must be positive and at most {long.MaxValue - (WordBytes - 1)}, so that rounding it up to a word does not overflow.");
        }

        return Occupied(size);
    }

    /// <summary>Appends the free regions, in list order (head first), to <paramref name="destination"/>. O(regions).</summary>
    /// <param name="destination">Receives the regions.</param>
    /// <exception cref="InvariantViolationException">A region's words are corrupted (see <see cref="TryAllocate"/>); <paramref name="destination"/> may hold the regions before it.</exception>
    public void CopyFreeRegions(List<AddressRange> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        long steps = 0;
        for (long region = _head; region != None;)
        {
            ReadCheckedRegion(region, steps++, out long size, out long next);
            CheckEndTag(region, size);
            destination.Add(new AddressRange(region, size));
            region = next;
        }
    }

    /// <inheritdoc />
    /// <remarks>First fit, O(free regions); see the class remarks for the leftover rule. False (nothing changes) when no region fits.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive, or <paramref name="alignment"/> is not a power of two in <c>1..MaxAlignmentBytes</c>.</exception>
    /// <exception cref="InvariantViolationException">
    /// The walk met a region whose words client code overwrote: a link outside the memory or misaligned
    /// (LL-BOUNDS, LL-ALIGNED), a size below a node, misaligned or running past the memory (LL-MINSIZE,
    /// LL-ALIGNED, LL-BOUNDS), or more regions than the memory can hold (LL-ACYCLIC). Nothing changes.
    /// </exception>
    public bool TryAllocate(long size, long alignment, out long offset)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        offset = 0;
        if (size > _managedBytes)
        {
            return false;
        }

        long full = Occupied(size);
        long mask = Math.Max(alignment, WordBytes) - 1;
        long previous = None;
        long steps = 0;
        for (long region = _head; region != None;)
        {
            ReadCheckedRegion(region, steps++, out long regionSize, out long next);
            long regionEnd = region + regionSize;
            long aligned = (region + mask) & ~mask;
            long front = aligned - region;
            long back = regionEnd - (aligned + full);
            if (full > regionEnd - aligned || (front != 0 && front < NodeBytes) || (back != 0 && back < NodeBytes))
            {
                previous = region;
                region = next;
                continue;
            }

            // The fit's size decides what is handed out, and its link is written into the list before the next walk
            // would reach it: both must be ones the allocator wrote.
            CheckEndTag(region, regionSize);
            if (next != None && !IsReadableNode(next))
            {
                ThrowCorruptLink(next);
            }

            if (previous == None)
            {
                _head = next;
            }
            else
            {
                _memory.WriteWord(previous + WordBytes, next);
            }

            if (back != 0)
            {
                Push(aligned + full, back);
            }
            else
            {
                // The region's last word (its tag, or a one-node region's link) now lies in the block handed out: clear
                // it, so that neither a forged size nor a link to the stale node can be confirmed by it later.
                _memory.WriteWord(regionEnd - WordBytes, RangeEndTag.Cleared);
            }

            if (front != 0)
            {
                Push(region, front);
            }

            _freeBytes -= full;
            _liveBytes += full;
            _liveFull?.Add(aligned, full);
            offset = aligned;
            return true;
        }

        return false;
    }

    /// <inheritdoc />
    /// <remarks>
    /// O(1): pushes <c>[offset, offset + full)</c> at the head. Checks the range is inside the memory and honours the
    /// alignment; with checked frees also that it overlaps no free region and is a live allocation of that size.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> or <paramref name="alignment"/> breaks the rules of <see cref="TryAllocate"/>.</exception>
    /// <exception cref="ArgumentException">The range is outside the memory, breaks the alignment, or (checked) overlaps a free region or is not a live allocation of that size. Nothing changes.</exception>
    /// <exception cref="InvariantViolationException">Checked frees only: the walk met a region whose words client code overwrote (see <see cref="TryAllocate"/>).</exception>
    public void Free(long offset, long size, long alignment)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        if (offset < 0 || size > _managedBytes || offset > _managedBytes - Occupied(size))
        {
            throw new ArgumentException(
                $"The range at offset {offset} of size {size} (occupying {(size > _managedBytes ? size : Occupied(size))} bytes) must lie inside the managed memory [0, {_managedBytes}).",
                nameof(offset));
        }

        if ((offset & (Math.Max(alignment, WordBytes) - 1)) != 0)
        {
            TextbookArguments.ThrowAlignmentMismatch(offset, Math.Max(alignment, WordBytes));
        }

        long full = Occupied(size);
        if (_checkFrees)
        {
            long steps = 0;
            for (long region = _head; region != None;)
            {
                ReadCheckedRegion(region, steps++, out long regionSize, out long next);
                if (offset < region + regionSize && region < offset + full)
                {
                    // A double free, or a size grown over the live block: the tag tells which.
                    CheckEndTag(region, regionSize);
                    ThrowOverlapsFree(offset, full, region, regionSize);
                }

                region = next;
            }

            if (!_liveFull!.TryGetValue(offset, out long liveFull))
            {
                TextbookArguments.ThrowNotAllocated(offset);
            }

            if (liveFull != full)
            {
                throw new ArgumentException(
                    $"Size {size} occupies {full} bytes, but the allocation at offset {offset} occupies {liveFull}: free must pass the size it allocated with.", nameof(size));
            }

            _liveFull.Remove(offset);
        }

        Push(offset, full);
        _freeBytes += full;
        _liveBytes -= full;
    }

    /// <inheritdoc />
    /// <remarks>O(regions · log regions). Order: LL-ACYCLIC, LL-BOUNDS, LL-ALIGNED, LL-MINSIZE, LL-DISJOINT, LL-CONSERVE, LL-ENDTAG.</remarks>
    // Never inlined, so that a violation's stack trace always names the structure that found it, even where the
    // JIT would inline this into a caller or into a delegate call it has devirtualised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CheckInvariants()
    {
        var nodes = new List<long>();
        var unreadable = new List<long>();
        Invariant.ThrowIfViolated(BoundedWalk.Collect(
            _head,
            node => node == None,
            node =>
            {
                if (!IsReadableNode(node))
                {
                    unreadable.Add(node);
                    return None;
                }

                return NextOf(node);
            },
            _managedBytes / NodeBytes,
            nodes,
            TextbookInvariantIds.LinkedListAcyclic,
            "free list"));
        if (unreadable.Count > 0)
        {
            new InvariantViolation(TextbookInvariantIds.LinkedListBounds, $"node@{unreadable[0]}",
                $"the node must be an 8-aligned offset inside [0, {_managedBytes - NodeBytes}]").Throw();
        }

        var regions = new AddressRange[nodes.Count];
        for (int i = 0; i < regions.Length; i++)
        {
            regions[i] = new AddressRange(nodes[i], SizeOf(nodes[i]));
        }

        Invariant.ThrowIfViolated(RangeSequenceChecks.WithinBounds(regions, 0, _managedBytes, TextbookInvariantIds.LinkedListBounds));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Aligned(regions, WordBytes, TextbookInvariantIds.LinkedListAligned));
        Invariant.ThrowIfViolated(RangeSequenceChecks.MinimumSize(regions, NodeBytes, TextbookInvariantIds.LinkedListMinSize));
        var sorted = (AddressRange[])regions.Clone();
        Array.Sort(sorted, static (a, b) => a.Start.CompareTo(b.Start));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Disjoint(sorted, TextbookInvariantIds.LinkedListDisjoint));
        long listed = RangeSequenceChecks.TotalSize(regions);
        Invariant.ThrowIfViolated(Invariant.Require(listed == _freeBytes, TextbookInvariantIds.LinkedListConserve, "free list",
            () => $"the regions hold {listed} bytes but the free counter says {_freeBytes}"));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Conserved(_freeBytes, _liveBytes, ManagedTotal(), TextbookInvariantIds.LinkedListConserve, "memory"));
        foreach (AddressRange region in regions)
        {
            if (region.Size > NodeBytes)
            {
                long word = _memory.ReadWord(region.End - WordBytes);
                Invariant.ThrowIfViolated(Invariant.Require(word == RangeEndTag.Of(region.Start, region.End), TextbookInvariantIds.LinkedListEndTag, $"node@{region.Start}",
                    () => $"the word at {region.End - WordBytes} is {word}, not the boundary tag of the region {region}"));
            }
        }
    }

    internal void SetFreeBytesForTest(long freeBytes) => _freeBytes = freeBytes;

    /// <summary>A memory smaller than one node is not managed at all: nothing is free or live.</summary>
    private long ManagedTotal() => _managedBytes >= NodeBytes ? _managedBytes : 0;

    private bool IsReadableNode(long node) =>
        node >= 0 && (node & (WordBytes - 1)) == 0 && node <= _managedBytes - NodeBytes;

    /// <summary>
    /// Reads the region at <paramref name="region"/> (the <paramref name="steps"/>-th of a walk) and validates
    /// what the walk is about to trust, before it reads or writes anything else: the region is an 8-aligned
    /// offset whose node lies in the managed memory, its size is a multiple of 8 of at least one node and ends
    /// inside the memory, and the walk has not met more regions than the memory can hold (a cycle). So every
    /// range the allocator carves, and every word it writes, lies in the managed memory. A few compares per
    /// region (docs/design-notes/0007-validated-walks.md).
    /// </summary>
    private void ReadCheckedRegion(long region, long steps, out long size, out long next)
    {
        if (steps >= _managedBytes / NodeBytes)
        {
            new InvariantViolation(TextbookInvariantIds.LinkedListAcyclic, "free list",
                $"the walk met more than {_managedBytes / NodeBytes} regions, the most {_managedBytes} bytes can hold: the list is cyclic (client code wrote into free memory?); nothing was changed").Throw();
        }

        if (!IsReadableNode(region))
        {
            ThrowCorruptLink(region);
        }

        size = SizeOf(region);
        next = NextOf(region);
        if ((size & (WordBytes - 1)) != 0 || (ulong)(size - NodeBytes) > (ulong)(_managedBytes - region - NodeBytes))
        {
            string id = (size & (WordBytes - 1)) != 0 ? TextbookInvariantIds.LinkedListAligned
                : size < NodeBytes ? TextbookInvariantIds.LinkedListMinSize
                : TextbookInvariantIds.LinkedListBounds;
            new InvariantViolation(id, $"node@{region}",
                $"its size word {size} must be a multiple of 8, at least {NodeBytes}, and end inside [0, {_managedBytes}): the list is corrupted; nothing was changed").Throw();
        }
    }

    /// <summary><see cref="FullSize"/> for a size already validated (positive, at most the managed bytes).</summary>
    private static long Occupied(long size) => Math.Max((size + WordBytes - 1) & ~(WordBytes - 1), NodeBytes);

    private long SizeOf(long region) => _memory.ReadWord(region);

    private long NextOf(long region) => _memory.ReadWord(region + WordBytes);

    private void Push(long region, long size)
    {
        _memory.WriteWord(region, size);
        _memory.WriteWord(region + WordBytes, _head);
        if (size > NodeBytes)
        {
            _memory.WriteWord(region + size - WordBytes, RangeEndTag.Of(region, region + size));
        }

        _head = region;
    }

    /// <summary>
    /// Confirms the size <paramref name="size"/> of the region at <paramref name="region"/> (already validated in
    /// shape by <see cref="ReadCheckedRegion"/>) before it is trusted to hand out or report memory: a region larger
    /// than one node must hold <see cref="RangeEndTag.Of"/> in its last word. A one-node region's last word is its
    /// own next word, so it confirms itself. One load; a mismatch is LL-ENDTAG, thrown before anything changes.
    /// </summary>
    private void CheckEndTag(long region, long size)
    {
        if (size > NodeBytes)
        {
            long word = _memory.ReadWord(region + size - WordBytes);
            if (word != RangeEndTag.Of(region, region + size))
            {
                new InvariantViolation(TextbookInvariantIds.LinkedListEndTag, $"node@{region}",
                    $"its size word says {size}, but the word at {region + size - WordBytes} is {word}, not the boundary tag of [{region}, {region + size}): the size or the region's last word was overwritten (client code wrote into free memory?); nothing was changed").Throw();
            }
        }
    }

    [DoesNotReturn]
    private void ThrowCorruptLink(long region) =>
        new InvariantViolation((region & (WordBytes - 1)) != 0 ? TextbookInvariantIds.LinkedListAligned : TextbookInvariantIds.LinkedListBounds, $"node@{region}",
            $"a link points at {region}, which is not an 8-aligned offset inside [0, {_managedBytes - NodeBytes}]: the list is corrupted; nothing was changed").Throw();

    [DoesNotReturn]
    private static void ThrowOverlapsFree(long offset, long full, long region, long regionSize) =>
        throw new ArgumentException(
            $"The range [{offset}, {offset + full}) overlaps the free region [{region}, {region + regionSize}): it is not live (double free?).",
            nameof(offset));
}
