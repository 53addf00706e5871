// A timing baseline, kept only in the bench: the textbook linked list as it was before its walks validated each region (a45bd79),
// copied from git history with the class renamed. `veralloc-micro validation` times the shipped class against it
// (docs/design-notes/0016-boundary-tags.md). Never used by the product.
using System.Diagnostics.CodeAnalysis;
using Veralloc.Allocators;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Bench.Micro.Baselines;

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
/// Without checked frees, a double free is not detected by <see cref="Free"/>; with them, a free that overlaps a
/// free region is rejected (a free of a range inside some other live allocation still is not).
/// </para>
/// <para>The memory is not grown: the allocator manages the pages present when it is created. Not thread-safe.</para>
/// </remarks>
internal sealed class PreValidationLinkedListAllocator : IOffsetAllocator
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
    private long _head = None;
    private long _freeBytes;
    private long _liveBytes;

    /// <summary>Creates an allocator managing the memory's current pages <c>[0, memory.SizeBytes)</c> as one free region.</summary>
    /// <param name="memory">The memory; its current size is managed and never grown.</param>
    /// <param name="checkFrees">Reject a free that overlaps a free region (costs a walk of the list per free).</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    public PreValidationLinkedListAllocator(ILinearMemory memory, bool checkFrees = false)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        _managedBytes = memory.SizeBytes;
        _checkFrees = checkFrees;
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
    public static long FullSize(long size) => Math.Max((size + WordBytes - 1) & ~(WordBytes - 1), NodeBytes);

    /// <summary>Appends the free regions, in list order (head first), to <paramref name="destination"/>. O(regions).</summary>
    /// <param name="destination">Receives the regions.</param>
    public void CopyFreeRegions(List<AddressRange> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        long bound = _managedBytes / NodeBytes;
        for (long region = _head, steps = 0; region != None && steps < bound; region = NextOf(region), steps++)
        {
            destination.Add(new AddressRange(region, SizeOf(region)));
        }
    }

    /// <inheritdoc />
    /// <remarks>First fit, O(free regions); see the class remarks for the leftover rule. False (nothing changes) when no region fits.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive, or <paramref name="alignment"/> is not a power of two in <c>1..MaxAlignmentBytes</c>.</exception>
    public bool TryAllocate(long size, long alignment, out long offset)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        offset = 0;
        if (size > _managedBytes)
        {
            return false;
        }

        long full = FullSize(size);
        long mask = Math.Max(alignment, WordBytes) - 1;
        long previous = None;
        long bound = _managedBytes / NodeBytes;
        for (long region = _head, steps = 0; region != None && steps < bound; previous = region, region = NextOf(region), steps++)
        {
            long regionEnd = region + SizeOf(region);
            long aligned = (region + mask) & ~mask;
            if (full > regionEnd - aligned)
            {
                continue;
            }

            long front = aligned - region;
            long back = regionEnd - (aligned + full);
            if ((front != 0 && front < NodeBytes) || (back != 0 && back < NodeBytes))
            {
                continue;
            }

            long next = NextOf(region);
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

            if (front != 0)
            {
                Push(region, front);
            }

            _freeBytes -= full;
            _liveBytes += full;
            offset = aligned;
            return true;
        }

        return false;
    }

    /// <inheritdoc />
    /// <remarks>
    /// O(1): pushes <c>[offset, offset + full)</c> at the head. Checks the range is inside the memory and honours the
    /// alignment; with checked frees also that it overlaps no free region.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> or <paramref name="alignment"/> breaks the rules of <see cref="TryAllocate"/>.</exception>
    /// <exception cref="ArgumentException">The range is outside the memory, breaks the alignment, or (checked) overlaps a free region.</exception>
    public void Free(long offset, long size, long alignment)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        if (offset < 0 || size > _managedBytes || offset > _managedBytes - FullSize(size))
        {
            throw new ArgumentException(
                $"The range at offset {offset} of size {size} (occupying {(size > _managedBytes ? size : FullSize(size))} bytes) must lie inside the managed memory [0, {_managedBytes}).",
                nameof(offset));
        }

        if ((offset & (Math.Max(alignment, WordBytes) - 1)) != 0)
        {
            TextbookArguments.ThrowAlignmentMismatch(offset, Math.Max(alignment, WordBytes));
        }

        long full = FullSize(size);
        if (_checkFrees)
        {
            long bound = _managedBytes / NodeBytes;
            for (long region = _head, steps = 0; region != None && steps < bound; region = NextOf(region), steps++)
            {
                if (offset < region + SizeOf(region) && region < offset + full)
                {
                    ThrowOverlapsFree(offset, full, region, SizeOf(region));
                }
            }
        }

        Push(offset, full);
        _freeBytes += full;
        _liveBytes -= full;
    }

    /// <inheritdoc />
    /// <remarks>O(regions · log regions). Order: LL-ACYCLIC, LL-BOUNDS, LL-ALIGNED, LL-MINSIZE, LL-DISJOINT, LL-CONSERVE.</remarks>
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
    }

    internal void SetFreeBytesForTest(long freeBytes) => _freeBytes = freeBytes;

    /// <summary>A memory smaller than one node is not managed at all: nothing is free or live.</summary>
    private long ManagedTotal() => _managedBytes >= NodeBytes ? _managedBytes : 0;

    private bool IsReadableNode(long node) =>
        node >= 0 && (node & (WordBytes - 1)) == 0 && node <= _managedBytes - NodeBytes;

    private long SizeOf(long region) => _memory.ReadWord(region);

    private long NextOf(long region) => _memory.ReadWord(region + WordBytes);

    private void Push(long region, long size)
    {
        _memory.WriteWord(region, size);
        _memory.WriteWord(region + WordBytes, _head);
        _head = region;
    }

    [DoesNotReturn]
    private static void ThrowOverlapsFree(long offset, long full, long region, long regionSize) =>
        throw new ArgumentException(
            $"The range [{offset}, {offset + full}) overlaps the free region [{region}, {region + regionSize}): it is not live (double free?).",
            nameof(offset));
}
