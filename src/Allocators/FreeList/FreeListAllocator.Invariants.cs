using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.FreeList;

/// <summary>The executable invariants of the free list (spec/freelist.md, FL-*).</summary>
public sealed partial class FreeListAllocator
{
    /// <summary>The checked-mode side table (null in unchecked mode); exposed so tests can corrupt it.</summary>
    internal Dictionary<long, LiveAllocation>? LiveTable => _live;

    /// <summary>The head offset, so tests can snapshot a list too corrupted to walk.</summary>
    internal long Head => _head;

    /// <summary>
    /// Walks the in-memory list (at most HeapBytes / NODE nodes) and checks, in this order: every link
    /// stays inside the heap and is NODE-aligned (FL-BOUNDS, FL-ALIGNED), the walk ends (FL-ACYCLIC),
    /// every node lies in the heap (FL-BOUNDS), is NODE-aligned (FL-ALIGNED) and at least NODE
    /// (FL-MINSIZE), nodes strictly descend (FL-SORTED) and never touch (FL-NONADJ), their sizes sum to
    /// the free byte count and, in checked mode, free + live = heap (FL-CONSERVE), in checked mode the
    /// live table is consistent (FL-LIVE), and every node's last word holds its boundary tag (FL-TAG). O(n log n) in checked mode, O(n) otherwise. Never loops and
    /// never throws anything but the violation, whatever the memory holds.
    /// </summary>
    /// <exception cref="InvariantViolationException">The first broken invariant, with its FL-* id.</exception>
    // Never inlined, so that a violation's stack trace always names the structure that found it, even where the
    // JIT would inline this into a caller or into a delegate call it has devirtualised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CheckInvariants()
    {
        var blocks = new List<AddressRange>();
        Invariant.ThrowIfViolated(CollectFreeBlocks(blocks));
        ReadOnlySpan<AddressRange> ranges = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(blocks);
        long heapBytes = HeapBytes;
        Invariant.ThrowIfViolated(
            RangeSequenceChecks.WithinBounds(ranges, 0, heapBytes, FreeListInvariantIds.Bounds)
            ?? RangeSequenceChecks.Aligned(ranges, NodeBytes, FreeListInvariantIds.Aligned)
            ?? RangeSequenceChecks.MinimumSize(ranges, NodeBytes, FreeListInvariantIds.MinimumSize)
            ?? RangeSequenceChecks.Sorted(ranges, RangeOrder.Descending, FreeListInvariantIds.Sorted)
            ?? RangeSequenceChecks.Isolated(ranges, FreeListInvariantIds.NonAdjacent));

        // Every size is now in [NODE, heap], so the sum cannot overflow.
        long listedFreeBytes = RangeSequenceChecks.TotalSize(ranges);
        Invariant.ThrowIfViolated(Invariant.Require(listedFreeBytes == _freeBytes, FreeListInvariantIds.Conserved, "free list",
            () => $"the nodes' sizes sum to {listedFreeBytes} bytes, but the allocator records {_freeBytes} free bytes"));
        if (_live is not null)
        {
            CheckLiveTable(ranges, heapBytes, listedFreeBytes);
        }

        // Last, so that a corruption another id describes is still reported under that id.
        foreach (AddressRange block in ranges)
        {
            long lastWord = ReadWord(block.End - LinearMemory.WordBytes);
            Invariant.ThrowIfViolated(Invariant.Require(lastWord == Tag(block.Start, block.Size), FreeListInvariantIds.Tagged, $"free list node at 0x{block.Start:x}",
                () => $"its last word (at 0x{block.End - LinearMemory.WordBytes:x}) holds {lastWord}, not the block's tag {Tag(block.Start, block.Size)}"));
        }
    }

    /// <summary>
    /// Walks the list into <paramref name="blocks"/>, checking only what the walk itself needs: each link
    /// points at a NODE-aligned node inside the heap, and the walk ends within HeapBytes / NODE nodes.
    /// </summary>
    private InvariantViolation? CollectFreeBlocks(List<AddressRange> blocks)
    {
        long heapBytes = HeapBytes;
        var nodes = new List<long>();
        InvariantViolation? badLink = null;
        InvariantViolation? cycle = BoundedWalk.Collect(
            _head,
            node => node == EndOfList,
            node =>
            {
                badLink = CheckLinkTarget(node, nodes.Count, heapBytes);
                return badLink is null ? ReadNext(node) : EndOfList;
            },
            heapBytes / NodeBytes,
            nodes,
            FreeListInvariantIds.Acyclic,
            "free list");
        if (badLink is not null || cycle is not null)
        {
            return badLink ?? cycle;
        }

        foreach (long node in nodes)
        {
            blocks.Add(new AddressRange(node, ReadSize(node)));
        }

        return null;
    }

    /// <summary>A node's two words must be readable: NODE-aligned and inside the heap.</summary>
    private static InvariantViolation? CheckLinkTarget(long node, int position, long heapBytes)
    {
        string subject = $"free list node #{position - 1} at 0x{node:x}";
        if (node < 0 || node > heapBytes - NodeBytes)
        {
            return new InvariantViolation(FreeListInvariantIds.Bounds, subject,
                $"the link to it (the head or the previous node's next word) points outside the heap [0x0, 0x{heapBytes:x}) minus one node");
        }

        if ((node & (NodeBytes - 1)) != 0)
        {
            return new InvariantViolation(FreeListInvariantIds.Aligned, subject,
                $"the link to it points at 0x{node:x}, which is not a multiple of NODE ({NodeBytes})");
        }

        return null;
    }

    private long SumLiveTable()
    {
        long total = 0;
        foreach (LiveAllocation allocation in _live!.Values)
        {
            total += allocation.RoundedSize;
        }

        return total;
    }

    private void CheckLiveTable(ReadOnlySpan<AddressRange> freeBlocks, long heapBytes, long listedFreeBytes)
    {
        var live = new List<AddressRange>(_live!.Count);
        long tableLiveBytes = 0;
        foreach ((long offset, LiveAllocation allocation) in _live)
        {
            long alignment = Math.Max(allocation.Alignment, NodeBytes);
            bool inside = offset >= 0 && offset <= heapBytes && allocation.RoundedSize <= heapBytes - offset;
            Invariant.ThrowIfViolated(Invariant.Require(inside, FreeListInvariantIds.Live, $"live allocation at 0x{offset:x}",
                () => $"its {allocation.RoundedSize} bytes must lie inside the heap [0x0, 0x{heapBytes:x})"));
            Invariant.ThrowIfViolated(Invariant.Require((offset & (alignment - 1)) == 0, FreeListInvariantIds.Live, $"live allocation at 0x{offset:x}",
                () => $"offset is not a multiple of its effective alignment {alignment}"));
            live.Add(new AddressRange(offset, allocation.RoundedSize));
            tableLiveBytes += allocation.RoundedSize;
        }

        Invariant.ThrowIfViolated(RangeSequenceChecks.Conserved(listedFreeBytes, tableLiveBytes, heapBytes, FreeListInvariantIds.Conserved));

        live.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Disjoint(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(live), FreeListInvariantIds.Live));

        var everything = new List<AddressRange>(live.Count + freeBlocks.Length);
        everything.AddRange(live);
        foreach (AddressRange block in freeBlocks)
        {
            everything.Add(block);
        }

        everything.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Disjoint(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(everything), FreeListInvariantIds.Live));
    }
}
