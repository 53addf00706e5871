using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.FreeList;

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
/// writes into free memory corrupts the list. <see cref="TryAllocate"/> and <see cref="Free"/> validate
/// every node they pass before trusting it (a few compares per node), so a corrupted word never makes them
/// read or write outside the heap, loop, or hand out a range outside the heap: they report it as an
/// <see cref="InvariantViolationException"/> with nothing changed. A word rewritten into another plausible
/// list (say, a size grown into the live block above it) is caught by a boundary tag: every free block larger
/// than NODE keeps a mix of its offset and size in its last word, checked wherever a size is trusted to carve or
/// merge (FL-TAG); checked mode also proves every range it hands out holds no live byte.
/// <see cref="CheckInvariants"/> sees everything (docs/design-notes/0007-validated-walks.md,
/// 0015-freelist-boundary-tags.md).
/// </para>
/// <para>
/// Over a <see cref="NativeLinearMemory"/> or a <see cref="SlabLinearMemory"/> (directly or behind a
/// <see cref="FaultInjectingMemory"/>, whose reads and writes pass straight through) the walks read and write words
/// directly from the backing's base (its bytes never move), compiled once per backing with no interface call and no
/// bounds check per word: the validation above is what keeps every access inside the heap. Any other
/// <see cref="ILinearMemory"/> is accessed through its interface, word by word, as before
/// (docs/design-notes/0014-freelist-direct-words.md).
/// </para>
/// </remarks>
public sealed partial class FreeListAllocator : IOffsetAllocator
{
    /// <summary>NODE: the size of a free-list node, two 8-byte words (next, size). Every size is rounded up to a multiple of it.</summary>
    public const long NodeBytes = 2 * LinearMemory.WordBytes;

    /// <summary>The largest alignment accepted: one page.</summary>
    public const long MaxAlignment = LinearMemory.PageBytes;

    /// <summary>The <c>next</c> word of the lowest free node: no offset in a heap is negative.</summary>
    internal const long EndOfList = -1;

    /// <summary>What <see cref="CarveFirstFit{TWords}"/> returns when no block fits: no offset in a heap is negative.</summary>
    private const long NoFit = -1;

    private const long NextWordOffset = 0;
    private const long SizeWordOffset = LinearMemory.WordBytes;

    /// <summary>Mixed into every boundary tag so that small integers and offsets, the commonest client words, are never tags.</summary>
    private const long TagSalt = unchecked((long)0x9E3779B97F4A7C15);

    private readonly ILinearMemory _memory;

    // The hot paths read and write words straight from these backings (docs/design-notes/0014); null for any other memory.
    private readonly NativeLinearMemory? _nativeMemory;
    private readonly SlabLinearMemory? _slabMemory;
    private readonly Dictionary<long, LiveAllocation>? _live;
    private readonly LiveGranules? _liveGranules;
    private readonly bool _exactFitAtHeapBase;
    private long _head = EndOfList;
    private long _freeBytes;

    /// <summary>Creates an allocator that owns <paramref name="memory"/> from now on.</summary>
    /// <param name="memory">The heap. Usually empty (0 pages); pages it already has become one free block.</param>
    /// <param name="options">Null for the defaults (unchecked mode).</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    public FreeListAllocator(ILinearMemory memory, FreeListOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        // A fault-injecting decorator passes reads and writes straight through, so only its growth needs the decorator.
        ILinearMemory words = memory is FaultInjectingMemory faulty ? faulty.Inner : memory;
        _nativeMemory = words as NativeLinearMemory;
        _slabMemory = words as SlabLinearMemory;
        if (options is { CheckedMode: true })
        {
            _live = new Dictionary<long, LiveAllocation>();
            _liveGranules = new LiveGranules(memory.SizeBytes);
        }

        _exactFitAtHeapBase = options is { ExactFitAtHeapBase: true };

        long existingBytes = memory.SizeBytes;
        if (existingBytes > 0)
        {
            WriteNode(new InterfaceWords(memory), 0, EndOfList, existingBytes);
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
            // Capped at int.MaxValue, the most this count (and the int result) can hold: from a 32 GiB heap on,
            // heapBytes / NODE is larger, and a cyclic list would wrap the count instead of ending the loop.
            long maxNodes = Math.Min(heapBytes / NodeBytes, int.MaxValue);
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
    /// The walk met a node whose words break the list's shape (FL-SORTED, FL-NONADJ, FL-BOUNDS, FL-ALIGNED or
    /// FL-MINSIZE, naming the node), the block it would carve from, or the one the grown pages would merge with,
    /// does not hold its boundary tag (FL-TAG), or, in checked mode, the range would hold live bytes (FL-LIVE):
    /// client code overwrote free memory; nothing changes (notes 0007, 0015).
    /// </exception>
    public bool TryAllocate(long size, long alignment, out long offset)
    {
        long fullBytes = RoundedSize(size);
        long effectiveAlignment = EffectiveAlignment(alignment);

        // One type test per call picks a walk compiled for the backing, with every word access inlined.
        bool allocated = _nativeMemory is not null ? TryAllocate(NativeWords.Of(_nativeMemory), fullBytes, effectiveAlignment, out offset)
            : _slabMemory is not null ? TryAllocate(new SlabWords(_slabMemory), fullBytes, effectiveAlignment, out offset)
            : TryAllocate(new InterfaceWords(_memory), fullBytes, effectiveAlignment, out offset);
        if (!allocated)
        {
            return false;
        }

        Debug.Assert((offset & (effectiveAlignment - 1)) == 0, "the offset must honour the alignment");
        if (_live is not null)
        {
            bool added = _live.TryAdd(offset, new LiveAllocation(size, alignment, fullBytes));
            Debug.Assert(added, "a carved range cannot already be live");
            _liveGranules!.Mark(offset, fullBytes);
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
    /// <exception cref="InvariantViolationException">
    /// The walk met a node whose words break the list's shape (as for <see cref="TryAllocate"/>), a neighbour it
    /// would merge with does not hold its boundary tag (FL-TAG), or, in checked mode, a free node overlaps the live
    /// range being freed (FL-LIVE); nothing changes.
    /// </exception>
    public void Free(long offset, long size, long alignment)
    {
        long fullBytes = RoundedSize(size);
        long effectiveAlignment = EffectiveAlignment(alignment);

        // One type test per call picks a path compiled for the backing, as in TryAllocate.
        if (_nativeMemory is not null)
        {
            Free(NativeWords.Of(_nativeMemory), offset, size, alignment, fullBytes, effectiveAlignment);
        }
        else if (_slabMemory is not null)
        {
            Free(new SlabWords(_slabMemory), offset, size, alignment, fullBytes, effectiveAlignment);
        }
        else
        {
            Free(new InterfaceWords(_memory), offset, size, alignment, fullBytes, effectiveAlignment);
        }
    }

    /// <summary>The rest of <see cref="Free(long, long, long)"/> once the size and alignment are known to be valid.</summary>
    private void Free<TWords>(TWords words, long offset, long size, long alignment, long fullBytes, long effectiveAlignment)
        where TWords : struct, IWordAccess
    {
        long heapBytes = words.SizeBytes;
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

        InsertFreeRange(words, offset, fullBytes);
        if (_live is not null)
        {
            _live.Remove(offset);
            _liveGranules!.Unmark(offset, fullBytes);
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
    /// Carves from the list, or grows the heap, frees the new pages into the list and carves again. Nothing
    /// is written or grown unless the first walk validated the whole list (see <see cref="CarveFirstFit{TWords}"/>).
    /// </summary>
    private bool TryAllocate<TWords>(TWords words, long fullBytes, long effectiveAlignment, out long offset)
        where TWords : struct, IWordAccess
    {
        offset = CarveFirstFit(words, fullBytes, effectiveAlignment);
        if (offset != NoFit)
        {
            return true;
        }

        // The grown pages merge with the head if it ends at the heap end, trusting its size (validated by the walk
        // that just failed): its tag is checked before the memory grows, so a refusal leaves the heap as it was.
        if (_head != EndOfList)
        {
            long headSize = words.Read(_head + SizeWordOffset);
            if (_head + headSize == words.SizeBytes && !HasTag(words, _head, headSize))
            {
                throw CorruptTag(_head, headSize);
            }
        }

        if (!TryGrowFor(words, fullBytes))
        {
            offset = 0;
            return false;
        }

        // The grown range ends the heap, is page-aligned, at least fullBytes long, and heads the list,
        // so the retry fits, except through the reference's `full >= end` guard (see returns; note 0002).
        offset = CarveFirstFit(words, fullBytes, effectiveAlignment);
        if (offset == NoFit)
        {
            Debug.Assert(!_exactFitAtHeapBase && fullBytes == words.SizeBytes, "only the underflow guard can make the retry fail");
            offset = 0;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Carves <paramref name="fullBytes"/> at <paramref name="alignment"/> from the first (highest) free block that
    /// fits, from its top, and returns the carved offset; <see cref="NoFit"/>, with nothing changed, when no block
    /// fits. The walk is compiled once per fit rule: at alignment NODE, the commonest, a block fits exactly when its
    /// size is at least <paramref name="fullBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long CarveFirstFit<TWords>(TWords words, long fullBytes, long alignment)
        where TWords : struct, IWordAccess =>
        alignment == NodeBytes
            ? CarveFirstFit<TWords, NodeAlignedFit>(words, fullBytes, alignment)
            : CarveFirstFit<TWords, AlignedFit>(words, fullBytes, alignment);

    /// <summary>
    /// The walk and carve of <see cref="CarveFirstFit{TWords}"/>. The size of every node reached and the next word of
    /// every node passed are validated before anything trusts them (the rules of <see cref="ReadCheckedSize"/> and
    /// <see cref="ReadCheckedNext"/>, tested more cheaply: docs/design-notes/0018), so a walk that finds no fit has
    /// validated the whole list, and the grow-and-insert that follows cannot meet a corrupted node.
    /// </summary>
    /// <remarks>
    /// The walk and the carve are one method, never inlined, whose loop contains no call and whose only call after
    /// the loop (checked mode's live-range proof) is its last act: nothing is live across a call, so the register
    /// allocator keeps every loop variable in a register, with or without profile data (docs/design-notes/0014, 0018).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long CarveFirstFit<TWords, TFit>(TWords words, long fullBytes, long alignment)
        where TWords : struct, IWordAccess
        where TFit : struct, IFitRule
    {
        long block = _head;
        if (block == EndOfList)
        {
            return NoFit;
        }

        long alignmentMask = ~(alignment - 1);

        // A node's limit (the highest end it may have) is the heap end for the head and one NODE below the node above
        // otherwise: owner - NODE, with the head's owner taken to start one NODE past the heap end. So the loop
        // carries two offsets, and the rule for a size, NODE <= size and block + size <= limit, is one unsigned compare.
        long owner = words.SizeBytes + NodeBytes;

        // Assigned before their first use on every path; the initial values only let a mutation-testing build, which
        // makes the loop's condition a runtime value, prove that too (docs/mutation.md). The JIT drops the stores.
        long blockSize = 0;
        long position = 0;
        while (true)
        {
            // The size's bounds; its alignment is tested with the next word's, or on leaving the loop, before the
            // size is trusted. Deciding whether the block fits trusts nothing: a misaligned size is reported either way.
            blockSize = words.Read(block + SizeWordOffset);
            if ((ulong)(blockSize - NodeBytes) > (ulong)(owner - (2 * NodeBytes) - block))
            {
                throw CorruptSize(block, blockSize, owner - NodeBytes);
            }

            // block + blockSize >= NODE and fullBytes <= long.MaxValue - 15, so the position cannot overflow.
            position = default(TFit).HighestPosition(block, blockSize, fullBytes, alignmentMask);
            if (position >= block)
            {
                break;
            }

            // The next word is read only past a block that does not fit, as the unvalidated walk did. One test covers
            // both words' alignment and one unsigned compare the link's range: next + 2 NODE <= block holds exactly for
            // next in [-2 NODE, block - 2 NODE], so it rejects a link that does not go down by a node and a gap and
            // every negative link but -NODE, -2 NODE and the end; the end fails the alignment test and is let through
            // there, and the sign test that ends the walk reports the other two.
            long next = words.Read(block + NextWordOffset);
            if (((blockSize | next) & (NodeBytes - 1)) != 0 || (ulong)(next + (2 * NodeBytes)) > (ulong)block)
            {
                if ((blockSize & (NodeBytes - 1)) != 0)
                {
                    throw CorruptSize(block, blockSize, owner - NodeBytes);
                }

                if (next != EndOfList)
                {
                    throw CorruptLink(block, next);
                }
            }

            if (next < 0)
            {
                if (next != EndOfList)
                {
                    throw CorruptLink(block, next);
                }

                return NoFit;
            }

            owner = block;
            block = next;
        }

        if ((blockSize & (NodeBytes - 1)) != 0)
        {
            throw CorruptSize(block, blockSize, owner - NodeBytes);
        }

        long blockEnd = block + blockSize;

        // §1 skips the block when `full >= end`, a guard against unsigned underflow of `end - full`. A block that
        // holds an aligned position at or above its start ends at least fullBytes + block, so only an exact fit of the
        // block at offset 0 can meet the guard; the opt-in policy keeps only the underflow meaning
        // (docs/design-notes/0002-freelist-memory-model.md). The walk moves past that block as §1 does: node 0
        // admits no next but the end of the list.
        if (blockEnd == fullBytes && !_exactFitAtHeapBase)
        {
            Debug.Assert(block == 0, "only the block at offset 0 can end at fullBytes and hold a position");
            long next = ReadCheckedNext(words, block);
            Debug.Assert(next == EndOfList, "node 0's next was validated to end the list");
            return NoFit;
        }

        long linkOwner = block == _head ? EndOfList : owner;
        if (_liveGranules is not null)
        {
            return CarveChecked(words, linkOwner, block, blockSize, position, fullBytes);
        }

        if (!HasTag(words, block, blockSize))
        {
            throw CorruptTag(block, blockSize);
        }

        CarveAt(words, linkOwner, block, blockEnd, position, fullBytes);
        return position;
    }

    /// <summary>The end of <see cref="CarveFirstFit{TWords, TFit}"/> in checked mode: the range must hold no live byte (FL-LIVE) before the tag is checked and the range carved.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long CarveChecked<TWords>(TWords words, long linkOwner, long block, long blockSize, long position, long fullBytes)
        where TWords : struct, IWordAccess
    {
        _liveGranules!.ThrowIfAnyLive(position, fullBytes, block, blockSize);
        if (!HasTag(words, block, blockSize))
        {
            throw CorruptTag(block, blockSize);
        }

        CarveAt(words, linkOwner, block, block + blockSize, position, fullBytes);
        return position;
    }

    /// <summary>Takes <c>[position, position + fullBytes)</c> out of the free block <c>[block, blockEnd)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CarveAt<TWords>(TWords words, long linkOwner, long block, long blockEnd, long position, long fullBytes)
        where TWords : struct, IWordAccess
    {
        long tail = position + fullBytes;
        Debug.Assert(position >= block && tail <= blockEnd, "the carved range must lie in the block");
        Debug.Assert(blockEnd - tail is 0 or >= NodeBytes, "a remainder must be empty or hold a node");
        if (position == block)
        {
            // The block leaves the list, so its next word is trusted now: validated before the first write.
            long next = ReadCheckedNext(words, block);

            // A tail remainder takes its place.
            if (tail < blockEnd)
            {
                WriteNode(words, tail, next, blockEnd - tail);
                SetNext(words, linkOwner, tail);
            }
            else
            {
                SetNext(words, linkOwner, next);
                ClearTag(words, block, blockEnd);
            }
        }
        else
        {
            WriteSize(words, block, position - block);
            if (tail < blockEnd)
            {
                // The tail is higher than the block, so it goes before it in the descending list.
                WriteNode(words, tail, block, blockEnd - tail);
                SetNext(words, linkOwner, tail);
            }
            else
            {
                ClearTag(words, block, blockEnd);
            }
        }

        _freeBytes -= fullBytes;
    }

    private bool TryGrowFor<TWords>(TWords words, long fullBytes)
        where TWords : struct, IWordAccess
    {
        long pages = ((fullBytes - 1) / LinearMemory.PageBytes) + 1;
        if (pages > int.MaxValue || !_memory.TryGrow((int)pages, out int previousPageCount))
        {
            return false;
        }

        long grownStart = (long)previousPageCount * LinearMemory.PageBytes;
        Debug.Assert(grownStart + (pages * LinearMemory.PageBytes) == words.SizeBytes, "the allocator must be the memory's only grower");
        InsertFreeRange(words, grownStart, pages * LinearMemory.PageBytes);
        return true;
    }

    /// <summary>
    /// Links the free range <c>[start, start + length)</c> into the descending list, merging with the
    /// neighbour above (starting at its end) and/or below (ending at its start). The walk follows only next
    /// words, each validated as it is read; the neighbours' size words, the only sizes it uses (below's always,
    /// above's when it merges), are validated before anything is written. Throws, with nothing changed, when
    /// the range overlaps a free block.
    /// </summary>
    /// <remarks>
    /// The walk finds, in one pass, the first node below <paramref name="start"/> (the neighbour below, or
    /// <see cref="EndOfList"/>), the last node at or above it (<c>above</c>) and the node that links to that one. It
    /// keeps only what the unvalidated walk kept; each node's limit follows from the node above it
    /// (<see cref="LimitBelow"/>), and above's next word is below, so neither needs a variable of its own in the loop.
    /// Never inlined, with no call in the loop and none after it that anything outlives (the throws are cold), for
    /// the reason given at <see cref="CarveFirstFit{TWords}"/>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void InsertFreeRange<TWords>(TWords words, long start, long length)
        where TWords : struct, IWordAccess
    {
        // start >= 0, so the loop test also stops at the end of the list (and at any negative link).
        Debug.Assert(start >= 0, "a freed range starts inside the heap");
        long aboveLinkOwner = EndOfList;
        long above = EndOfList;
        long below = _head;
        while (below >= start)
        {
            aboveLinkOwner = above;
            above = below;
            below = words.Read(above + NextWordOffset);

            // ReadCheckedNext's rule in two tests, as in CarveFirstFit: the range test lets through the end of the
            // list and -NODE, -2 NODE; the alignment test stops the end, which is let through here, and the
            // other two end the loop and are reported just after it.
            if ((ulong)(below + (2 * NodeBytes)) > (ulong)above || (below & (NodeBytes - 1)) != 0)
            {
                if (below != EndOfList)
                {
                    throw CorruptLink(above, below);
                }
            }
        }

        if (below < EndOfList)
        {
            throw CorruptLink(above, below);
        }

        long end = start + length;
        long heapBytes = words.SizeBytes;

        if (above != EndOfList && above < end)
        {
            ThrowOverlapsFreeBlock(start, length, above, words.Read(above + SizeWordOffset));
        }

        // The neighbour above is merged only when it starts exactly at the range's end: only then is its size used.
        long aboveSize = above != EndOfList && above == end ? ReadCheckedSize(words, above, LimitBelow(aboveLinkOwner, heapBytes)) : 0;
        long belowSize = below == EndOfList ? 0 : ReadCheckedSize(words, below, LimitBelow(above, heapBytes));

        if (below != EndOfList && below + belowSize > start)
        {
            ThrowOverlapsFreeBlock(start, length, below, belowSize);
        }

        bool mergeAbove = above != EndOfList && above == end;
        bool mergeBelow = below != EndOfList && below + belowSize == start;

        // A merge trusts the neighbour's size to say where its bytes end: its tag must agree (note 0015).
        if (mergeAbove && !HasTag(words, above, aboveSize))
        {
            throw CorruptTag(above, aboveSize);
        }

        if (mergeBelow && !HasTag(words, below, belowSize))
        {
            throw CorruptTag(below, belowSize);
        }

        if (mergeAbove && mergeBelow)
        {
            ClearTag(words, below, start);
            WriteSize(words, below, belowSize + length + aboveSize);
            SetNext(words, aboveLinkOwner, below);
        }
        else if (mergeAbove)
        {
            WriteNode(words, start, below, length + aboveSize);
            SetNext(words, aboveLinkOwner, start);
        }
        else if (mergeBelow)
        {
            ClearTag(words, below, start);
            WriteSize(words, below, belowSize + length);
        }
        else
        {
            WriteNode(words, start, below, length);
            SetNext(words, above, start);
        }

        _freeBytes += length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
    /// Reads the size word of a node on a hot-path walk and validates it before the walk trusts it: a multiple
    /// of NODE with <c>NODE &lt;= size</c> and <c>node + size &lt;= limit</c>, where the limit is the heap end for
    /// the head and one NODE below the node above otherwise (nodes descend and never touch). The caller has
    /// validated <paramref name="node"/> itself (<see cref="ReadCheckedNext"/> on the link to it, or it is the
    /// head), so the word read lies in the heap, and so does every range the allocator carves or merges. A
    /// failure is an <see cref="InvariantViolationException"/> thrown before anything changes (note 0007).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long ReadCheckedSize<TWords>(TWords words, long node, long limit)
        where TWords : struct, IWordAccess
    {
        Debug.Assert(node >= 0 && (node & (NodeBytes - 1)) == 0 && node <= limit - NodeBytes, "the node's position was validated by the link to it");
        long size = words.Read(node + SizeWordOffset);

        // limit - node >= NODE holds, so one unsigned compare rejects both size < NODE and node + size > limit.
        if ((ulong)(size - NodeBytes) > (ulong)(limit - node - NodeBytes) || (size & (NodeBytes - 1)) != 0)
        {
            // A throw, not a call to a throwing helper: the JIT keeps a throwing block out of the loop's registers.
            throw CorruptSize(node, size, limit);
        }

        return size;
    }

    /// <summary>The highest end a node may have when <paramref name="above"/> is the node above it (<see cref="EndOfList"/>: it is the head).</summary>
    private static long LimitBelow(long above, long heapBytes) => above == EndOfList ? heapBytes : above - NodeBytes;

    /// <summary>
    /// Reads the next word of a node on a hot-path walk and validates it before the walk follows it:
    /// <see cref="EndOfList"/>, or a NODE-aligned offset in <c>[0, node - 2 NODE]</c> (room for a node and a gap
    /// below this one). So every node a walk reaches lies in the heap below the one before: no cycle, no walk
    /// longer than the list, and the limit of the next node's size is known without reading this one's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ReadCheckedNext<TWords>(TWords words, long node)
        where TWords : struct, IWordAccess
    {
        long next = words.Read(node + NextWordOffset);

        // For node >= 2 NODE one unsigned compare covers next >= 0 and next <= node - 2 NODE (a negative next is
        // huge unsigned); a lower node admits no next at all. Each test is a compare and a branch that a healthy
        // list never takes; only a suspicious link pays the test that lets the end of the list through. (A signed
        // difference would overflow for a huge next below a low node.)
        if (((ulong)next > (ulong)(node - (2 * NodeBytes)) || (next & (NodeBytes - 1)) != 0 || node < 2 * NodeBytes) && next != EndOfList)
        {
            throw CorruptLink(node, next);
        }

        return next;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private InvariantViolationException CorruptSize(long node, long size, long limit)
    {
        long heapBytes = HeapBytes;
        (string id, string rule) =
            (size & (NodeBytes - 1)) != 0 ? (FreeListInvariantIds.Aligned, $"is not a multiple of NODE ({NodeBytes})")
            : size < NodeBytes ? (FreeListInvariantIds.MinimumSize, $"is below NODE ({NodeBytes})")
            : limit == heapBytes ? (FreeListInvariantIds.Bounds, $"runs past the heap end {heapBytes}")
            : (FreeListInvariantIds.NonAdjacent, $"runs into or touches the free node above, at {limit + NodeBytes}");
        return new InvariantViolationException(new InvariantViolation(id, $"node {node}",
            $"its size word {size} {rule}: the list is corrupted (client code wrote into free memory?); nothing was changed"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static InvariantViolationException CorruptLink(long node, long next)
    {
        (string id, string rule) =
            (next & (NodeBytes - 1)) != 0 ? (FreeListInvariantIds.Aligned, $"is not a multiple of NODE ({NodeBytes})")
            : next < 0 ? (FreeListInvariantIds.Bounds, "lies outside the heap")
            : next >= node ? (FreeListInvariantIds.Sorted, "does not go down, so the list may be cyclic")
            : (FreeListInvariantIds.NonAdjacent, "leaves no room for a node and a gap below this one");
        return new InvariantViolationException(new InvariantViolation(id, $"node {node}",
            $"its next link {next} {rule}: the list is corrupted (client code wrote into free memory?); nothing was changed"));
    }

    private long ReadSize(long node) => _memory.ReadWord(node + SizeWordOffset);

    private long ReadWord(long offset) => _memory.ReadWord(offset);

    /// <summary>Writes a free block's size word and its boundary tag: every resize of a free block goes through here.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteSize<TWords>(TWords words, long node, long size)
        where TWords : struct, IWordAccess
    {
        words.Write(node + SizeWordOffset, size);
        WriteTag(words, node, size);
    }

    /// <summary>Writes a free block's node and its boundary tag: every new free block goes through here.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteNode<TWords>(TWords words, long node, long next, long size)
        where TWords : struct, IWordAccess
    {
        words.Write(node + NextWordOffset, next);
        words.Write(node + SizeWordOffset, size);
        WriteTag(words, node, size);
    }

    /// <summary>
    /// The boundary tag of the free block <c>[node, node + size)</c>: the value its last word holds. It mixes the
    /// offset and the size, so a size word rewritten to another plausible value points at a last word that does not
    /// hold the tag that size would need (docs/design-notes/0015-freelist-boundary-tags.md). A NODE-sized block's
    /// last word is its size word, so its tag is its size.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long Tag(long node, long size) => size == NodeBytes ? NodeBytes : node ^ size ^ TagSalt;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteTag<TWords>(TWords words, long node, long size)
        where TWords : struct, IWordAccess
    {
        if (size > NodeBytes)
        {
            words.Write(node + size - LinearMemory.WordBytes, Tag(node, size));
        }
    }

    /// <summary>
    /// Erases the tag of the block <c>[node, end)</c> when its last word stops being one: handed out with the carved
    /// range, or left inside a merged block. A stale tag could otherwise vouch for a size word rewritten to the old size.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ClearTag<TWords>(TWords words, long node, long end)
        where TWords : struct, IWordAccess
    {
        if (end - node > NodeBytes)
        {
            words.Write(end - LinearMemory.WordBytes, 0);
        }
    }

    /// <summary>
    /// Whether the last word of the node <c>[node, node + size)</c> holds its tag. The size was validated
    /// (<see cref="ReadCheckedSize"/>), so the word read lies inside the heap. Called only where a size is about to be
    /// trusted to hand out or merge memory: one load per operation, not per node.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HasTag<TWords>(TWords words, long node, long size)
        where TWords : struct, IWordAccess =>
        size == NodeBytes || words.Read(node + size - LinearMemory.WordBytes) == Tag(node, size);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static InvariantViolationException CorruptTag(long node, long size) =>
        new(new InvariantViolation(FreeListInvariantIds.Tagged, $"node {node}",
            $"its size word {size} says the block ends at {node + size}, but its last word there does not hold the block's tag " +
            $"(a size rewritten into live memory, or client code wrote into free memory?): the list is corrupted; nothing was changed"));

    /// <summary>Points <paramref name="linkOwner"/>'s next at <paramref name="target"/>; <see cref="EndOfList"/> as owner means the head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetNext<TWords>(TWords words, long linkOwner, long target)
        where TWords : struct, IWordAccess
    {
        if (linkOwner == EndOfList)
        {
            _head = target;
        }
        else
        {
            words.Write(linkOwner + NextWordOffset, target);
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

    /// <summary>
    /// Unchecked mode cannot tell a double free from a node whose words were overwritten, so the caller is
    /// told its range is not live. In checked mode the live table has already proven the range live, so a
    /// free node overlapping it can only be a corrupted one: that is reported as FL-LIVE.
    /// </summary>
    [DoesNotReturn]
    private void ThrowOverlapsFreeBlock(long start, long length, long block, long blockSize)
    {
        if (_live is not null)
        {
            new InvariantViolation(FreeListInvariantIds.Live, $"node {block}",
                $"the free node [{block}, {block + blockSize}) overlaps [{start}, {start + length}), which the live table records as allocated: the list is corrupted (client code wrote into free memory?); nothing was changed").Throw();
        }

        throw new ArgumentException(
            $"The freed range [{start}, {start + length}) overlaps the free block [{block}, {block + blockSize}): a range must be live to be freed (double free, or a wrong offset or size).",
            "offset");
    }
}
