// A timing baseline, kept only in the bench: the SEED §1 free list as it was before its walks validated each node (a45bd79),
// copied from git history with the class renamed. `veralloc-micro validation` times the shipped class against it
// (docs/design-notes/0016-boundary-tags.md). Never used by the product.
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Veralloc.Allocators;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Bench.Micro.Baselines;

/// <summary>
/// The address-ordered coalescing free-list allocator of SEED-SEMANTICS §1 (spec/freelist.md): offsets in
/// a growable <see cref="ILinearMemory"/>, first fit from the highest free block, allocations carved from
/// the top of the block, and a free list threaded through the free memory itself in descending address
/// order, with adjacent free blocks always merged.
/// </summary>
/// <remarks>
/// <para>
/// Node layout (zero space overhead; docs/design-notes/0003-freelist-node-layout.md): a free block
/// <c>[start, start + size)</c> stores two little-endian 8-byte words at its start, <c>next</c> (the
/// offset of the next lower free block, or <see cref="EndOfList"/>) then <c>size</c> in bytes. Every free
/// block and every allocation is a multiple of <see cref="NodeBytes"/>, so every block can hold its node.
/// The head offset and the free byte count live in fields.
/// </para>
/// <para>
/// The allocator owns the memory's growth: it must be the only caller of <see cref="ILinearMemory.TryGrow"/>.
/// Pages the memory already has when the allocator is created start out as one free block.
/// </para>
/// <para>
/// Allocation and free cost O(free blocks) and allocate nothing on the managed heap (except the side
/// table in checked mode). Not thread-safe. Metadata lives in client-reachable memory: a client that
/// writes into free memory corrupts the list; <see cref="CheckInvariants"/> reports that, but
/// <see cref="TryAllocate"/> and <see cref="Free"/> trust the list.
/// </para>
/// </remarks>
internal sealed partial class PreValidationFreeListAllocator : IOffsetAllocator
{
    /// <summary>NODE: the size of a free-list node, two 8-byte words (next, size). Every size is rounded up to a multiple of it.</summary>
    public const long NodeBytes = 2 * LinearMemory.WordBytes;

    /// <summary>The largest alignment accepted: one page.</summary>
    public const long MaxAlignment = LinearMemory.PageBytes;

    /// <summary>The <c>next</c> word of the lowest free node: no offset in a heap is negative.</summary>
    internal const long EndOfList = -1;

    private const long NextWordOffset = 0;
    private const long SizeWordOffset = LinearMemory.WordBytes;

    private readonly ILinearMemory _memory;
    private readonly Dictionary<long, LiveAllocation>? _live;
    private readonly bool _exactFitAtHeapBase;
    private long _head = EndOfList;
    private long _freeBytes;

    /// <summary>Creates an allocator that owns <paramref name="memory"/> from now on.</summary>
    /// <param name="memory">The heap. Usually empty (0 pages); pages it already has become one free block.</param>
    /// <param name="options">Null for the defaults (unchecked mode).</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    public PreValidationFreeListAllocator(ILinearMemory memory, FreeListOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        if (options is { CheckedMode: true })
        {
            _live = new Dictionary<long, LiveAllocation>();
        }

        _exactFitAtHeapBase = options is { ExactFitAtHeapBase: true };

        long existingBytes = memory.SizeBytes;
        if (existingBytes > 0)
        {
            WriteNode(0, EndOfList, existingBytes);
            _head = 0;
            _freeBytes = existingBytes;
        }
    }

    /// <summary>The heap this allocator manages.</summary>
    public ILinearMemory Memory => _memory;

    /// <summary>Whether the allocator takes an exact fit at offset 0 (see <see cref="FreeListOptions.ExactFitAtHeapBase"/>).</summary>
    public bool ExactFitAtHeapBase => _exactFitAtHeapBase;

    /// <summary>Whether the allocator runs in checked mode (see <see cref="FreeListOptions.CheckedMode"/>).</summary>
    public bool IsChecked => _live is not null;

    /// <summary>The heap size in pages.</summary>
    public int PageCount => _memory.PageCount;

    /// <summary>The heap size in bytes.</summary>
    public long HeapBytes => _memory.SizeBytes;

    /// <summary>The bytes in free blocks (a field, O(1)).</summary>
    public long FreeBytes => _freeBytes;

    /// <summary>
    /// The bytes in live allocations, counted with their rounded sizes: <c>HeapBytes - FreeBytes</c>, O(1).
    /// In checked mode also summed from the side table, O(live allocations), and the two compared.
    /// </summary>
    /// <exception cref="InvariantViolationException">Checked mode only: the side table disagrees (FL-CONSERVE).</exception>
    public long LiveBytes
    {
        get
        {
            long liveBytes = HeapBytes - _freeBytes;
            if (_live is not null)
            {
                long tableLiveBytes = SumLiveTable();
                if (liveBytes != tableLiveBytes)
                {
                    new InvariantViolation(FreeListInvariantIds.Conserved, "heap",
                        $"heap {HeapBytes} - free {_freeBytes} = {liveBytes} live bytes, but the live table holds {tableLiveBytes}").Throw();
                }
            }

            return liveBytes;
        }
    }

    /// <summary>The number of free blocks (walks the list, O(n), allocation-free).</summary>
    /// <exception cref="InvariantViolationException">The list is corrupted (a link leaves the heap or the list is cyclic).</exception>
    public int FreeBlockCount
    {
        get
        {
            long heapBytes = HeapBytes;
            long maxNodes = heapBytes / NodeBytes;
            int count = 0;
            for (long node = _head; node != EndOfList; node = ReadNext(node))
            {
                bool readable = node >= 0 && node <= heapBytes - NodeBytes && (node & (NodeBytes - 1)) == 0;
                if (!readable || count >= maxNodes)
                {
                    // The checked walk names the corruption.
                    return GetFreeBlocks().Count;
                }

                count++;
            }

            return count;
        }
    }

    /// <summary>
    /// Allocates per SEED-SEMANTICS §1: <c>full = roundUp(max(size, NODE), NODE)</c> bytes at a multiple
    /// of <c>max(alignment, NODE)</c>, at the highest such position in the highest free block that fits.
    /// When none fits, grows the heap by <c>roundUp(full, PAGE) / PAGE</c> pages, frees them into the
    /// list and retries once.
    /// </summary>
    /// <param name="size">The bytes requested; positive, and small enough that rounding it up to NODE does not overflow.</param>
    /// <param name="alignment">A power of two, at most <see cref="MaxAlignment"/>.</param>
    /// <param name="offset">The allocation's offset, a multiple of both NODE and <paramref name="alignment"/>.</param>
    /// <returns>
    /// False when nothing fits and the memory cannot grow; nothing changes then. One documented exception,
    /// inherited from the reference's <c>full &gt;= end</c> guard (default policy only): on a heap of 0
    /// pages, a request whose rounded size is a whole number of pages grows the heap, and the retry skips
    /// the resulting single block <c>[0, full)</c>, so the call returns false with the heap grown and free.
    /// <see cref="FreeListOptions.ExactFitAtHeapBase"/> removes this case.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">The size or alignment breaks the rules above; nothing changes.</exception>
    /// <exception cref="InvariantViolationException">
    /// FL-SORTED: the walk met a link that does not go down, so client code overwrote a free node (the list may be
    /// cyclic); nothing changes. Other corruption is found only by <see cref="CheckInvariants"/> (note 0004).
    /// </exception>
    public bool TryAllocate(long size, long alignment, out long offset)
    {
        long fullBytes = RoundedSize(size);
        long effectiveAlignment = EffectiveAlignment(alignment);
        if (!TryCarve(fullBytes, effectiveAlignment, out offset))
        {
            if (!TryGrowFor(fullBytes))
            {
                offset = 0;
                return false;
            }

            // The grown range ends the heap, is page-aligned, at least fullBytes long, and heads the list,
            // so the retry fits, except through the reference's `full >= end` guard (see returns; note 0002).
            if (!TryCarve(fullBytes, effectiveAlignment, out offset))
            {
                Debug.Assert(!_exactFitAtHeapBase && fullBytes == HeapBytes, "only the underflow guard can make the retry fail");
                offset = 0;
                return false;
            }
        }

        Debug.Assert((offset & (effectiveAlignment - 1)) == 0, "the offset must honour the alignment");
        if (_live is not null)
        {
            bool added = _live.TryAdd(offset, new LiveAllocation(size, alignment, fullBytes));
            Debug.Assert(added, "a carved range cannot already be live");
        }

        return true;
    }

    /// <summary>
    /// Frees <c>[offset, offset + full)</c> (full as in <see cref="TryAllocate"/>), merging it with the free
    /// block that starts at its end and/or the one that ends at its start.
    /// </summary>
    /// <param name="offset">The offset <see cref="TryAllocate"/> returned.</param>
    /// <param name="size">The size passed to <see cref="TryAllocate"/>.</param>
    /// <param name="alignment">The alignment passed to <see cref="TryAllocate"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size or alignment is invalid, the offset is outside the heap, or the range extends past it; nothing changes.</exception>
    /// <exception cref="ArgumentException">
    /// The offset is not a multiple of NODE or of the alignment; the range overlaps a free block (double
    /// free); in checked mode also: no live allocation starts at the offset, or its size or alignment
    /// differ. Nothing changes. docs/design-notes/0004-freelist-checked-mode.md lists what unchecked mode cannot detect.
    /// </exception>
    /// <exception cref="InvariantViolationException">FL-SORTED: the walk met a link that does not go down (a corrupted, possibly cyclic list); nothing changes.</exception>
    public void Free(long offset, long size, long alignment)
    {
        long fullBytes = RoundedSize(size);
        long effectiveAlignment = EffectiveAlignment(alignment);
        long heapBytes = HeapBytes;
        if (offset < 0 || offset >= heapBytes)
        {
            ThrowOffsetOutsideHeap(offset, heapBytes);
        }

        if ((offset & (NodeBytes - 1)) != 0)
        {
            ThrowOffsetNotNodeAligned(offset);
        }

        if ((offset & (effectiveAlignment - 1)) != 0)
        {
            ThrowOffsetMisaligned(offset, alignment);
        }

        if (fullBytes > heapBytes - offset)
        {
            ThrowRangePastHeap(offset, size, fullBytes, heapBytes);
        }

        if (_live is not null)
        {
            if (!_live.TryGetValue(offset, out LiveAllocation allocation))
            {
                ThrowNotLive(offset);
            }

            if (allocation.Size != size || allocation.Alignment != alignment)
            {
                ThrowDisagreesWithAllocation(offset, size, alignment, allocation);
            }
        }

        InsertFreeRange(offset, fullBytes);
        if (_live is not null)
        {
            _live.Remove(offset);
        }
    }

    /// <summary>The free blocks in list order: descending by start offset. O(n); allocates the result.</summary>
    /// <returns>A new list of the free blocks.</returns>
    /// <exception cref="InvariantViolationException">The list is corrupted (a link leaves the heap or the list is cyclic).</exception>
    public IReadOnlyList<AddressRange> GetFreeBlocks()
    {
        var blocks = new List<AddressRange>();
        Invariant.ThrowIfViolated(CollectFreeBlocks(blocks));
        return blocks;
    }

    /// <summary>
    /// Carves <paramref name="fullBytes"/> at <paramref name="alignment"/> from the first (highest) free block
    /// that fits, from its top. False, with nothing changed, when no block fits.
    /// </summary>
    private bool TryCarve(long fullBytes, long alignment, out long offset)
    {
        long linkOwner = EndOfList;
        for (long block = _head; block != EndOfList; block = NextBelow(block))
        {
            long blockEnd = block + ReadSize(block);

            // §1 skips the block when `full >= end`, a guard against unsigned underflow of `end - full`.
            // With offsets from 0 it also skips an exact fit of a block at offset 0; the opt-in policy
            // keeps only the underflow meaning (docs/design-notes/0002-freelist-memory-model.md).
            bool clearOfGuard = _exactFitAtHeapBase ? fullBytes <= blockEnd : fullBytes < blockEnd;
            if (clearOfGuard)
            {
                long position = (blockEnd - fullBytes) & ~(alignment - 1);
                if (position >= block)
                {
                    CarveAt(linkOwner, block, blockEnd, position, fullBytes);
                    offset = position;
                    return true;
                }
            }

            linkOwner = block;
        }

        offset = 0;
        return false;
    }

    /// <summary>Takes <c>[position, position + fullBytes)</c> out of the free block <c>[block, blockEnd)</c>.</summary>
    private void CarveAt(long linkOwner, long block, long blockEnd, long position, long fullBytes)
    {
        long tail = position + fullBytes;
        Debug.Assert(position >= block && tail <= blockEnd, "the carved range must lie in the block");
        Debug.Assert(blockEnd - tail is 0 or >= NodeBytes, "a remainder must be empty or hold a node");
        if (position == block)
        {
            // The block leaves the list; a tail remainder takes its place.
            long next = ReadNext(block);
            if (tail < blockEnd)
            {
                WriteNode(tail, next, blockEnd - tail);
                SetNext(linkOwner, tail);
            }
            else
            {
                SetNext(linkOwner, next);
            }
        }
        else
        {
            WriteSize(block, position - block);
            if (tail < blockEnd)
            {
                // The tail is higher than the block, so it goes before it in the descending list.
                WriteNode(tail, block, blockEnd - tail);
                SetNext(linkOwner, tail);
            }
        }

        _freeBytes -= fullBytes;
    }

    private bool TryGrowFor(long fullBytes)
    {
        long pages = ((fullBytes - 1) / LinearMemory.PageBytes) + 1;
        if (pages > int.MaxValue || !_memory.TryGrow((int)pages, out int previousPageCount))
        {
            return false;
        }

        long grownStart = (long)previousPageCount * LinearMemory.PageBytes;
        Debug.Assert(grownStart + (pages * LinearMemory.PageBytes) == HeapBytes, "the allocator must be the memory's only grower");
        InsertFreeRange(grownStart, pages * LinearMemory.PageBytes);
        return true;
    }

    /// <summary>
    /// Links the free range <c>[start, start + length)</c> into the descending list, merging with the
    /// neighbour above (starting at its end) and/or below (ending at its start). Throws, with nothing
    /// changed, when the range overlaps a free block.
    /// </summary>
    private void InsertFreeRange(long start, long length)
    {
        long end = start + length;
        long aboveLinkOwner = EndOfList;
        long above = EndOfList;
        long below = _head;
        while (below != EndOfList && below >= start)
        {
            aboveLinkOwner = above;
            above = below;
            below = NextBelow(below);
        }

        if (above != EndOfList && above < end)
        {
            ThrowOverlapsFreeBlock(start, length, above, ReadSize(above));
        }

        long belowSize = below == EndOfList ? 0 : ReadSize(below);
        if (below != EndOfList && below + belowSize > start)
        {
            ThrowOverlapsFreeBlock(start, length, below, belowSize);
        }

        bool mergeAbove = above != EndOfList && above == end;
        bool mergeBelow = below != EndOfList && below + belowSize == start;
        if (mergeAbove && mergeBelow)
        {
            WriteSize(below, belowSize + length + ReadSize(above));
            SetNext(aboveLinkOwner, below);
        }
        else if (mergeAbove)
        {
            WriteNode(start, ReadNext(above), length + ReadSize(above));
            SetNext(aboveLinkOwner, start);
        }
        else if (mergeBelow)
        {
            WriteSize(below, belowSize + length);
        }
        else
        {
            WriteNode(start, below, length);
            SetNext(above, start);
        }

        _freeBytes += length;
    }

    private static long RoundedSize(long size)
    {
        if (size <= 0)
        {
            ThrowSizeNotPositive(size);
        }

        if (size > long.MaxValue - (NodeBytes - 1))
        {
            ThrowSizeOverflows(size);
        }

        return (Math.Max(size, NodeBytes) + (NodeBytes - 1)) & ~(NodeBytes - 1);
    }

    private static long EffectiveAlignment(long alignment)
    {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
        {
            ThrowAlignmentNotPowerOfTwo(alignment);
        }

        if (alignment > MaxAlignment)
        {
            ThrowAlignmentTooLarge(alignment);
        }

        return Math.Max(alignment, NodeBytes);
    }

    private long ReadNext(long node) => _memory.ReadWord(node + NextWordOffset);

    /// <summary>
    /// The next node of a walk on the hot path. A healthy list strictly descends, so a link that does not go down
    /// means client code overwrote a node; checking it costs one compare and turns what would be an endless walk
    /// round a cycle into an FL-SORTED report, before anything is changed.
    /// </summary>
    private long NextBelow(long node)
    {
        long next = ReadNext(node);
        if (next >= node)
        {
            ThrowCorruptLink(node, next);
        }

        return next;
    }

    [DoesNotReturn]
    private static void ThrowCorruptLink(long node, long next) =>
        throw new InvariantViolationException(new InvariantViolation(FreeListInvariantIds.Sorted, $"node {node}",
            $"its next link {next} does not go down: the list is corrupted (client code wrote into free memory?) and may be cyclic; nothing was changed"));

    private long ReadSize(long node) => _memory.ReadWord(node + SizeWordOffset);

    private void WriteSize(long node, long size) => _memory.WriteWord(node + SizeWordOffset, size);

    private void WriteNode(long node, long next, long size)
    {
        _memory.WriteWord(node + NextWordOffset, next);
        _memory.WriteWord(node + SizeWordOffset, size);
    }

    /// <summary>Points <paramref name="linkOwner"/>'s next at <paramref name="target"/>; <see cref="EndOfList"/> as owner means the head.</summary>
    private void SetNext(long linkOwner, long target)
    {
        if (linkOwner == EndOfList)
        {
            _head = target;
        }
        else
        {
            _memory.WriteWord(linkOwner + NextWordOffset, target);
        }
    }

    [DoesNotReturn]
    private static void ThrowSizeNotPositive(long size) =>
        throw new ArgumentOutOfRangeException(nameof(size), size, $"Size {size} must be positive.");

    [DoesNotReturn]
    private static void ThrowSizeOverflows(long size) =>
        throw new ArgumentOutOfRangeException(nameof(size), size,
            $"Size {size} is too large: rounding it up to a multiple of NODE ({NodeBytes}) overflows a 64-bit offset.");

    [DoesNotReturn]
    private static void ThrowAlignmentNotPowerOfTwo(long alignment) =>
        throw new ArgumentOutOfRangeException(nameof(alignment), alignment, $"Alignment {alignment} must be a positive power of two.");

    [DoesNotReturn]
    private static void ThrowAlignmentTooLarge(long alignment) =>
        throw new ArgumentOutOfRangeException(nameof(alignment), alignment, $"Alignment {alignment} must be at most one page ({MaxAlignment}).");

    [DoesNotReturn]
    private static void ThrowOffsetOutsideHeap(long offset, long heapBytes) =>
        throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Offset {offset} must lie inside the heap [0, {heapBytes}).");

    [DoesNotReturn]
    private static void ThrowOffsetNotNodeAligned(long offset) =>
        throw new ArgumentException($"Offset {offset} is not a multiple of NODE ({NodeBytes}), so this allocator never returned it.", nameof(offset));

    [DoesNotReturn]
    private static void ThrowOffsetMisaligned(long offset, long alignment) =>
        throw new ArgumentException($"Offset {offset} is not a multiple of its alignment {alignment}, so it was not allocated with that alignment.", nameof(offset));

    [DoesNotReturn]
    private static void ThrowRangePastHeap(long offset, long size, long fullBytes, long heapBytes) =>
        throw new ArgumentOutOfRangeException(nameof(size), size,
            $"The freed range [{offset}, {offset} + {fullBytes}) (size {size} rounded to NODE) must end inside the heap [0, {heapBytes}).");

    [DoesNotReturn]
    private static void ThrowNotLive(long offset) =>
        throw new ArgumentException($"Offset {offset} is not the start of a live allocation: it was never allocated or was already freed.", nameof(offset));

    [DoesNotReturn]
    private static void ThrowDisagreesWithAllocation(long offset, long size, long alignment, LiveAllocation allocation) =>
        throw new ArgumentException(
            $"Free({offset}, size {size}, alignment {alignment}) must pass the size and alignment of the allocation, which were size {allocation.Size}, alignment {allocation.Alignment}.",
            nameof(size));

    [DoesNotReturn]
    private static void ThrowOverlapsFreeBlock(long start, long length, long block, long blockSize) =>
        throw new ArgumentException(
            $"The freed range [{start}, {start + length}) overlaps the free block [{block}, {block + blockSize}): a range must be live to be freed (double free, or a wrong offset or size).",
            "offset");
}
