using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using Veralloc.Invariants;

namespace Veralloc.Allocators.SegregatedFit;

/// <summary>
/// A two-level segregated-fit (TLSF-style) offset allocator: it hands out offsets into a range
/// <c>[0, CapacityBytes)</c> that it never reads or writes, keeping all metadata outside the range in flat
/// arrays of block records. Allocation and free are O(1): no loop depends on the number of blocks.
/// </summary>
/// <remarks>
/// <para>
/// Glossary. A <em>block</em> is a maximal range <c>[offset, offset + size)</c> that is either free or one
/// allocation; the blocks tile the range. A <em>record</em> is a block's metadata, addressed by an integer
/// <em>handle</em> (an index into the record arrays); records of merged-away blocks are recycled through a
/// stack. The <em>granule</em> (<see cref="GranuleBytes"/>) is the unit of every offset and size.
/// </para>
/// <para>
/// Index. A free block of <c>u</c> granules is kept on list <c>(fl, sl)</c>: below <c>2^SLI</c> granules,
/// <c>fl = 0</c> and <c>sl = u</c> (one exact size per list); above, <c>fl = floor(log2 u) - SLI + 1</c> and
/// <c>sl</c> is the <c>SLI</c> bits of <c>u</c> below its leading bit. A 64-bit first-level bitmap marks the
/// first levels with a non-empty list, and one 32-bit second-level bitmap per first level marks its non-empty
/// lists, so a non-empty list at or above a given class is found with two bit scans.
/// </para>
/// <para>
/// Good fit. A request is rounded up to the next list boundary before the search, so that every block on the
/// list found is large enough and the head can be taken without looking further. The rounding adds less than
/// <c>1/2^SLI</c> of the request: a request can fail while a free block of size between the request and its
/// rounded size exists. One O(1) fallback narrows that gap: when the bitmap search finds nothing, the head of the
/// request's own (unrounded) list is taken if it is large enough.
/// </para>
/// <para>
/// Alignment. Offsets are granule multiples, so alignments up to <see cref="GranuleBytes"/> hold for free. For a
/// larger alignment <c>a</c> the search asks for <c>size + a - granule</c> bytes; whatever block is found has an
/// <c>a</c>-aligned position with the rounded size after it, and the bytes before that position (a granule
/// multiple below <c>a</c>) are split off as a free block of their own. No retry loop is needed.
/// </para>
/// <para>
/// Fragmentation. The found block is always split to exactly the rounded size (every remainder is a granule
/// multiple, so it is a valid free block), so internal fragmentation is below one granule per allocation
/// (<c>roundUp(size, 16) - size &lt; 16</c> bytes). Free blocks coalesce immediately with free physical
/// neighbours, so no two free blocks touch.
/// </para>
/// <para>
/// Free validation. A hash table from offset to record (<c>UsedOffsetTable</c>) holds every used block: it is how
/// <see cref="Free"/> finds the block (the metadata is outside the range, so there is no header to read) and it
/// makes every free checked: an offset that does not start a used block, a size that rounds to a different block
/// size, and an offset that breaks the stated alignment all throw. The table is amortized O(1) and allocates only
/// when it grows.
/// </para>
/// <para>
/// Front cache (opt-in, <see cref="SegregatedFitOptions.FrontCacheDepth"/>; off by default, and with it off nothing
/// above changes). A freed block of at most <see cref="FrontCacheMaxBlockBytes"/> is parked, uncoalesced, on a
/// last-in-first-out list of its exact size when that list holds fewer than the depth; an allocation of that size
/// with an alignment of at most <see cref="GranuleBytes"/> takes the most recently parked one without touching the
/// index or the offset table. Before an allocation would fail, and before <see cref="Grow"/>, every parked block
/// is freed as by the default policy (coalesced and listed), so the good-fit guarantee still holds. Parked blocks
/// count as free in <see cref="FreeBytes"/> and <see cref="FreeBlockCount"/>, not in <see cref="UsedBlockCount"/>.
/// </para>
/// <para>Not thread-safe.</para>
/// </remarks>
public sealed partial class SegregatedFitAllocator : IOffsetAllocator
{
    /// <summary>The granule: every offset and block size is a multiple of it, and no block is smaller.</summary>
    public const long GranuleBytes = 16;

    /// <summary>The largest capacity (and so the largest request): 2^62 bytes, so sums of sizes never overflow.</summary>
    public const long MaxCapacityBytes = 1L << 62;

    /// <summary>The largest accepted alignment: 1 MiB.</summary>
    public const long MaxAlignmentBytes = 1L << 20;

    /// <summary>The largest block the front cache parks: 1 KiB (64 granules), one cache list per granule count.</summary>
    public const long FrontCacheMaxBlockBytes = 1024;

    private const int FrontCacheListCount = (int)(FrontCacheMaxBlockBytes / GranuleBytes) + 1;

    private const int GranuleShift = 4;
    private const int FirstLevelCount = 64;
    private const int None = IndexLinkedListChecks.None;
    private const int MaxInitialBlockRecords = 1 << 24;

    private readonly int _secondLevelBits;
    private readonly int _secondLevelCount;

    // Block records, one struct per handle, so an operation on a block reads one record instead of one element
    // of seven arrays. Records [0, _recordHighWater) have been handed out; those on _deadRecords are free for reuse.
    private BlockRecord[] _records;
    private int[] _deadRecords;
    private int _deadRecordCount;
    private int _recordHighWater;

    // The two-level index: list (fl, sl) is at (fl << _secondLevelBits) + sl.
    private readonly int[] _listHeads;
    private readonly int[] _listTails;
    private readonly uint[] _secondLevelMaps;
    private ulong _firstLevelMap;

    // The front cache: list u holds parked blocks of u granules, singly linked through FreeNext, newest first.
    // _frontCacheLimitBytes is 0 when the cache is off, so the free path's one size comparison never parks.
    private readonly int[] _frontCacheHeads;
    private readonly int[] _frontCacheCounts;
    private readonly long _frontCacheLimitBytes;
    private int _frontCacheDepth;
    private int _cachedBlockCount;
    private long _cachedBytes;

    private readonly UsedOffsetTable _usedByOffset;
    private int _physicalHead;
    private int _physicalTail;
    private long _capacityBytes;
    private long _freeBytes;
    private int _freeBlockCount;
    private int _usedBlockCount;

    /// <summary>Creates an allocator whose whole range <c>[0, capacityBytes)</c> is one free block.</summary>
    /// <param name="capacityBytes">A positive multiple of <see cref="GranuleBytes"/>, at most <see cref="MaxCapacityBytes"/>.</param>
    /// <param name="options">Tuning; null for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">The capacity or an option is out of range.</exception>
    public SegregatedFitAllocator(long capacityBytes, SegregatedFitOptions? options = null)
    {
        options ??= new SegregatedFitOptions();
        ValidateGrowth(capacityBytes, 0, nameof(capacityBytes));
        if (options.SecondLevelBits is < SegregatedFitOptions.MinSecondLevelBits or > SegregatedFitOptions.MaxSecondLevelBits)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SecondLevelBits,
                $"SecondLevelBits is {options.SecondLevelBits}; it must be between {SegregatedFitOptions.MinSecondLevelBits} and {SegregatedFitOptions.MaxSecondLevelBits}.");
        }

        if (options.InitialBlockRecords is < 1 or > MaxInitialBlockRecords)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.InitialBlockRecords,
                $"InitialBlockRecords is {options.InitialBlockRecords}; it must be between 1 and {MaxInitialBlockRecords}.");
        }

        if (options.FrontCacheDepth is < 0 or > SegregatedFitOptions.MaxFrontCacheDepth)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.FrontCacheDepth,
                $"FrontCacheDepth is {options.FrontCacheDepth}; it must be between 0 and {SegregatedFitOptions.MaxFrontCacheDepth}.");
        }

        _secondLevelBits = options.SecondLevelBits;
        _frontCacheDepth = options.FrontCacheDepth;
        _frontCacheLimitBytes = _frontCacheDepth > 0 ? FrontCacheMaxBlockBytes : 0;
        _frontCacheHeads = new int[_frontCacheDepth > 0 ? FrontCacheListCount : 0];
        _frontCacheHeads.AsSpan().Fill(None);
        _frontCacheCounts = new int[_frontCacheHeads.Length];
        _secondLevelCount = 1 << _secondLevelBits;
        int records = options.InitialBlockRecords;
        _records = new BlockRecord[records];
        _deadRecords = new int[records];
        _listHeads = new int[FirstLevelCount * _secondLevelCount];
        _listTails = new int[FirstLevelCount * _secondLevelCount];
        _listHeads.AsSpan().Fill(None);
        _listTails.AsSpan().Fill(None);
        _secondLevelMaps = new uint[FirstLevelCount];
        _usedByOffset = new UsedOffsetTable(records);

        int whole = NewRecord();
        ref BlockRecord record = ref _records[whole];
        record.Offset = 0;
        record.Size = capacityBytes;
        record.PhysicalPrev = None;
        record.PhysicalNext = None;
        _physicalHead = whole;
        _physicalTail = whole;
        _capacityBytes = capacityBytes;
        InsertFree(whole);
    }

    internal enum BlockState : byte
    {
        Dead,
        Free,
        Used,
        Cached,
    }

    /// <summary>The size of the managed range <c>[0, CapacityBytes)</c>.</summary>
    public long CapacityBytes => _capacityBytes;

    /// <summary>The bytes in free blocks (parked blocks of the front cache included).</summary>
    public long FreeBytes => _freeBytes + _cachedBytes;

    /// <summary>The bytes in used blocks (each request rounded up to the granule).</summary>
    public long UsedBytes => _capacityBytes - FreeBytes;

    /// <summary>
    /// The number of free blocks, parked blocks of the front cache included (a parked block may touch a free one, so
    /// with the cache on this can exceed the number of maximal free ranges).
    /// </summary>
    public int FreeBlockCount => _freeBlockCount + _cachedBlockCount;

    /// <summary>The number of blocks parked in the front cache (always 0 with the cache off).</summary>
    public int FrontCachedBlockCount => _cachedBlockCount;

    /// <summary>The front cache's depth per size (<see cref="SegregatedFitOptions.FrontCacheDepth"/>; 0: off).</summary>
    public int FrontCacheDepth => _frontCacheDepth;

    /// <summary>The number of used blocks (live allocations).</summary>
    public int UsedBlockCount => _usedBlockCount;

    /// <summary>The number of second-level bits (<see cref="SegregatedFitOptions.SecondLevelBits"/>).</summary>
    public int SecondLevelBits => _secondLevelBits;

    /// <summary>
    /// The size of the largest free block on the index, exactly (0 when none is free); parked blocks of the front
    /// cache are not counted (then it can be less than the largest free range until <see cref="FlushFrontCache"/>). It finds the highest non-empty list with
    /// one bit scan and then scans that list, so it costs O(length of the highest list), usually one block; it is
    /// a query, not part of the allocation path.
    /// </summary>
    public long LargestFreeBlock
    {
        get
        {
            if (_firstLevelMap == 0)
            {
                return 0;
            }

            int firstLevel = 63 - BitOperations.LeadingZeroCount(_firstLevelMap);
            int secondLevel = 31 - BitOperations.LeadingZeroCount(_secondLevelMaps[firstLevel]);
            long largest = 0;
            for (int handle = _listHeads[ListIndex(firstLevel, secondLevel)]; handle != None; handle = _records[handle].FreeNext)
            {
                largest = Math.Max(largest, _records[handle].Size);
            }

            return largest;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// O(1). The block is <c>roundUp(size, GranuleBytes)</c> bytes at an offset that is a multiple of
    /// <paramref name="alignment"/>. Returns false, changing nothing, when no list at or above the request's
    /// rounded class is non-empty (see the class remarks for the good-fit and alignment rules).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not in <c>1..MaxCapacityBytes</c>, or
    /// <paramref name="alignment"/> is not a power of two in <c>1..MaxAlignmentBytes</c>.</exception>
    public bool TryAllocate(long size, long alignment, out long offset)
    {
        ValidateRequest(size, alignment);
        long needBytes = RoundUpToGranule(size);
        if (needBytes <= _frontCacheLimitBytes && alignment <= GranuleBytes)
        {
            int parked = _frontCacheHeads[needBytes >> GranuleShift];
            if (parked != None)
            {
                offset = TakeFromFrontCache(parked);
                return true;
            }
        }

        long searchBytes = alignment > GranuleBytes ? needBytes + alignment - GranuleBytes : needBytes;
        offset = 0;
        int list = searchBytes <= _freeBytes ? FindFreeList(searchBytes >> GranuleShift) : -1;
        if (list < 0)
        {
            if (_cachedBlockCount == 0)
            {
                return false;
            }

            FlushFrontCache();
            list = searchBytes <= _freeBytes ? FindFreeList(searchBytes >> GranuleShift) : -1;
            if (list < 0)
            {
                return false;
            }
        }

        int found = RemoveListHead(list);
        Debug.Assert(_records[found].Size >= searchBytes, "a good-fit search returns a block at least as large as the request");
        long blockOffset = _records[found].Offset;
        long alignedOffset = (blockOffset + alignment - 1) & ~(alignment - 1);
        int used = found;
        if (alignedOffset != blockOffset)
        {
            // The gap before the aligned position keeps the record and stays free; its physical predecessor is
            // used (free blocks never touch), so it needs no coalescing.
            used = SplitAfter(found, alignedOffset - blockOffset);
            InsertFree(found);
        }

        if (_records[used].Size > needBytes)
        {
            int tail = SplitAfter(used, needBytes);
            InsertFree(tail);
        }

        ref BlockRecord usedRecord = ref _records[used];
        Debug.Assert(usedRecord.Size == needBytes && usedRecord.Offset == alignedOffset, "the used block is exactly the rounded request");
        usedRecord.State = BlockState.Used;
        _usedByOffset.Add(alignedOffset, used);
        _usedBlockCount++;
        offset = alignedOffset;
        return true;
    }

    /// <inheritdoc />
    /// <remarks>
    /// O(1) amortized (one lookup in the offset table). Coalesces the block with free physical neighbours. Every
    /// error is detected: an offset that does not start a used block, a size that rounds to another block size, an
    /// offset that is not a multiple of <paramref name="alignment"/>.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> or <paramref name="alignment"/> breaks the rules of <see cref="TryAllocate"/>.</exception>
    /// <exception cref="ArgumentException">The offset is not a live allocation, or disagrees with the size or alignment.</exception>
    public void Free(long offset, long size, long alignment)
    {
        ValidateRequest(size, alignment);
        int slot = _usedByOffset.Find(offset, _records);
        if (slot < 0)
        {
            ThrowNotAllocated(offset);
        }

        int block = _usedByOffset.HandleAt(slot);
        BlockRecord[] records = _records;
        ref BlockRecord record = ref records[block];
        if (record.State != BlockState.Used)
        {
            // Parked in the front cache: its offset stays in the table, but it is no longer allocated.
            ThrowNotAllocated(offset);
        }

        long needBytes = RoundUpToGranule(size);
        if (record.Size != needBytes)
        {
            ThrowSizeMismatch(offset, size, needBytes, record.Size);
        }

        if ((offset & (alignment - 1)) != 0)
        {
            ThrowAlignmentMismatch(offset, alignment);
        }

        _usedBlockCount--;
        if (needBytes <= _frontCacheLimitBytes)
        {
            int units = (int)(needBytes >> GranuleShift);
            if (_frontCacheCounts[units] < _frontCacheDepth)
            {
                record.State = BlockState.Cached;
                record.FreeNext = _frontCacheHeads[units];
                _frontCacheHeads[units] = block;
                _frontCacheCounts[units]++;
                _cachedBlockCount++;
                _cachedBytes += needBytes;
                return;
            }
        }

        _usedByOffset.RemoveAt(slot);
        ReleaseBlock(block);
    }

    /// <summary>
    /// Frees every block parked in the front cache as the default policy frees a block (coalesced with free neighbours
    /// and listed), in order of size and, within a size, newest first. A no-op when nothing is parked. O(parked blocks).
    /// </summary>
    public void FlushFrontCache()
    {
        for (int units = 1; units < _frontCacheHeads.Length && _cachedBlockCount > 0; units++)
        {
            int block = _frontCacheHeads[units];
            while (block != None)
            {
                ref BlockRecord record = ref _records[block];
                int next = record.FreeNext;
                _usedByOffset.RemoveAt(_usedByOffset.Find(record.Offset, _records));
                _cachedBlockCount--;
                _cachedBytes -= record.Size;
                ReleaseBlock(block);
                block = next;
            }

            _frontCacheHeads[units] = None;
            _frontCacheCounts[units] = 0;
        }
    }

    /// <summary>Pops <paramref name="parked"/>, the head of its front-cache list, and hands it out as used; returns its offset.</summary>
    private long TakeFromFrontCache(int parked)
    {
        ref BlockRecord record = ref _records[parked];
        int units = (int)(record.Size >> GranuleShift);
        _frontCacheHeads[units] = record.FreeNext;
        _frontCacheCounts[units]--;
        _cachedBlockCount--;
        _cachedBytes -= record.Size;
        record.State = BlockState.Used;
        _usedBlockCount++;
        return record.Offset;
    }

    /// <summary>Makes a block that has left the offset table free: merges it with free physical neighbours and lists it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReleaseBlock(int block)
    {
        BlockRecord[] records = _records;
        ref BlockRecord record = ref records[block];
        record.State = BlockState.Free;

        int previous = record.PhysicalPrev;
        if (previous != None && records[previous].State == BlockState.Free)
        {
            RemoveFree(previous);
            MergeIntoLower(previous, block);
            block = previous;
        }

        int next = records[block].PhysicalNext;
        if (next != None && records[next].State == BlockState.Free)
        {
            RemoveFree(next);
            MergeIntoLower(block, next);
        }

        InsertFree(block);
    }

    /// <summary>
    /// Appends <c>[CapacityBytes, CapacityBytes + bytes)</c> to the managed range as free space, coalescing it
    /// with the last block if that one is free. O(1).
    /// </summary>
    /// <param name="bytes">A positive multiple of <see cref="GranuleBytes"/>; the new capacity must stay at most <see cref="MaxCapacityBytes"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> breaks the rule; nothing changes.</exception>
    public void Grow(long bytes)
    {
        ValidateGrowth(bytes, _capacityBytes, nameof(bytes));
        FlushFrontCache();
        int last = _physicalTail;
        if (_records[last].State == BlockState.Free)
        {
            RemoveFree(last);
            _records[last].Size += bytes;
            InsertFree(last);
        }
        else
        {
            int added = NewRecord();
            ref BlockRecord record = ref _records[added];
            record.Offset = _capacityBytes;
            record.Size = bytes;
            record.PhysicalPrev = last;
            record.PhysicalNext = None;
            _records[last].PhysicalNext = added;
            _physicalTail = added;
            InsertFree(added);
        }

        _capacityBytes += bytes;
    }

    /// <summary>
    /// Appends every maximal free range, in address order, to <paramref name="destination"/>: the free blocks, with
    /// parked blocks of the front cache merged with the free or parked blocks they touch (with the cache off, free
    /// blocks never touch, so these are exactly the free blocks). O(blocks).
    /// </summary>
    /// <param name="destination">Receives the free ranges.</param>
    public void CopyFreeRanges(List<AddressRange> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        long rangeStart = -1;
        long rangeEnd = -1;
        for (int handle = _physicalHead; handle != None; handle = _records[handle].PhysicalNext)
        {
            ref BlockRecord record = ref _records[handle];
            if (record.State == BlockState.Used)
            {
                continue;
            }

            if (record.Offset != rangeEnd)
            {
                if (rangeStart >= 0)
                {
                    destination.Add(new AddressRange(rangeStart, rangeEnd - rangeStart));
                }

                rangeStart = record.Offset;
            }

            rangeEnd = record.Offset + record.Size;
        }

        if (rangeStart >= 0)
        {
            destination.Add(new AddressRange(rangeStart, rangeEnd - rangeStart));
        }
    }

    /// <summary>
    /// The number of bytes a request must be able to find in one free block to be sure to succeed: the rounded
    /// size plus the alignment slack, rounded up to the next list boundary. If some free block is at least this
    /// large, <see cref="TryAllocate"/> succeeds (the good-fit guarantee).
    /// </summary>
    /// <param name="size">The request size (validated as in <see cref="TryAllocate"/>).</param>
    /// <param name="alignment">The request alignment (validated as in <see cref="TryAllocate"/>).</param>
    /// <returns>The guaranteed-sufficient block size in bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The request breaks the rules of <see cref="TryAllocate"/>.</exception>
    public long SufficientFreeBlockBytes(long size, long alignment)
    {
        ValidateRequest(size, alignment);
        long needBytes = RoundUpToGranule(size);
        long searchBytes = alignment > GranuleBytes ? needBytes + alignment - GranuleBytes : needBytes;
        return RoundUpToListBoundary(searchBytes >> GranuleShift) << GranuleShift;
    }

    /// <summary>The non-empty list whose head the good-fit search takes for a request of <paramref name="searchUnits"/> granules, or -1.</summary>
    private int FindFreeList(long searchUnits)
    {
        long roundedUnits = RoundUpToListBoundary(searchUnits);
        MapToList(roundedUnits, out int firstLevel, out int secondLevel);
        if (firstLevel < FirstLevelCount)
        {
            uint secondMap = _secondLevelMaps[firstLevel] & (uint.MaxValue << secondLevel);
            if (secondMap == 0)
            {
                ulong firstMap = firstLevel + 1 < FirstLevelCount ? _firstLevelMap & (ulong.MaxValue << (firstLevel + 1)) : 0;
                if (firstMap != 0)
                {
                    firstLevel = BitOperations.TrailingZeroCount(firstMap);
                    secondMap = _secondLevelMaps[firstLevel];
                    Debug.Assert(secondMap != 0, "a first-level bit implies a second-level bit");
                }
            }

            if (secondMap != 0)
            {
                return ListIndex(firstLevel, BitOperations.TrailingZeroCount(secondMap));
            }
        }

        // Nothing at or above the rounded class: the request's own list may still start with a block that fits.
        MapToList(searchUnits, out firstLevel, out secondLevel);
        int list = ListIndex(firstLevel, secondLevel);
        int head = _listHeads[list];
        return head != None && _records[head].Size >= searchUnits << GranuleShift ? list : -1;
    }

    /// <summary>Maps a block of <paramref name="units"/> granules to the list that holds it.</summary>
    /// <remarks>
    /// Branch-free: sizes below <c>2^SLI</c> granules (first level 0) and above share one formula, with the shift and
    /// the second-level offset masked to zero for the small ones, so a mix of small and large sizes costs no
    /// mispredicted branch.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void MapToList(long units, out int firstLevel, out int secondLevel)
    {
        Debug.Assert(units > 0, "blocks are at least one granule");
        int shift = 63 - BitOperations.LeadingZeroCount((ulong)units) - _secondLevelBits;
        int large = (int)((uint)~shift >> 31);
        shift &= -large;
        firstLevel = shift + large;
        secondLevel = (int)(units >> shift) - (large << _secondLevelBits);
    }

    /// <summary>Rounds <paramref name="units"/> up to the smallest size of a list whose every block is that large.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long RoundUpToListBoundary(long units)
    {
        // Below 2^SLI granules every size has its own list: the step is one granule and nothing changes.
        int shift = Math.Max(63 - BitOperations.LeadingZeroCount((ulong)units) - _secondLevelBits, 0);
        long stepMask = (1L << shift) - 1;
        return (units + stepMask) & ~stepMask;
    }

    private int ListIndex(int firstLevel, int secondLevel) => (firstLevel << _secondLevelBits) + secondLevel;

    private void InsertFree(int handle)
    {
        BlockRecord[] records = _records;
        ref BlockRecord record = ref records[handle];
        long size = record.Size;
        MapToList(size >> GranuleShift, out int firstLevel, out int secondLevel);
        int list = ListIndex(firstLevel, secondLevel);
        int head = _listHeads[list];
        record.FreePrev = None;
        record.FreeNext = head;
        record.State = BlockState.Free;
        if (head == None)
        {
            _listTails[list] = handle;
            _secondLevelMaps[firstLevel] |= 1u << secondLevel;
            _firstLevelMap |= 1UL << firstLevel;
        }
        else
        {
            records[head].FreePrev = handle;
        }

        _listHeads[list] = handle;
        _freeBytes += size;
        _freeBlockCount++;
    }

    /// <summary>Takes the head off non-empty <paramref name="list"/> (bitmaps and counters follow) and returns it.</summary>
    private int RemoveListHead(int list)
    {
        BlockRecord[] records = _records;
        int head = _listHeads[list];
        ref BlockRecord record = ref records[head];
        Debug.Assert(record.State == BlockState.Free && record.FreePrev == None, "a list head is free and first");
        int next = record.FreeNext;
        _listHeads[list] = next;
        if (next == None)
        {
            _listTails[list] = None;
            ClearListBit(list);
        }
        else
        {
            records[next].FreePrev = None;
        }

        _freeBytes -= record.Size;
        _freeBlockCount--;
        return head;
    }

    private void RemoveFree(int handle)
    {
        BlockRecord[] records = _records;
        ref BlockRecord record = ref records[handle];
        Debug.Assert(record.State == BlockState.Free, "only free blocks are on lists");
        MapToList(record.Size >> GranuleShift, out int firstLevel, out int secondLevel);
        int list = ListIndex(firstLevel, secondLevel);
        int previous = record.FreePrev;
        int next = record.FreeNext;
        if (previous == None)
        {
            _listHeads[list] = next;
        }
        else
        {
            records[previous].FreeNext = next;
        }

        if (next == None)
        {
            _listTails[list] = previous;
        }
        else
        {
            records[next].FreePrev = previous;
        }

        if (previous == None && next == None)
        {
            ClearListBit(list);
        }

        _freeBytes -= record.Size;
        _freeBlockCount--;
    }

    /// <summary>Clears the bitmap bits of <paramref name="list"/>, which has just become empty.</summary>
    private void ClearListBit(int list)
    {
        int firstLevel = list >> _secondLevelBits;
        int secondLevel = list & (_secondLevelCount - 1);
        uint secondMap = _secondLevelMaps[firstLevel] & ~(1u << secondLevel);
        _secondLevelMaps[firstLevel] = secondMap;
        if (secondMap == 0)
        {
            _firstLevelMap &= ~(1UL << firstLevel);
        }
    }

    /// <summary>Splits <paramref name="handle"/> after its first <paramref name="lowerBytes"/>; returns the new upper block's record (state unset).</summary>
    private int SplitAfter(int handle, long lowerBytes)
    {
        int upper = NewRecord();
        BlockRecord[] records = _records;
        ref BlockRecord lower = ref records[handle];
        ref BlockRecord upperRecord = ref records[upper];
        Debug.Assert(lowerBytes > 0 && lowerBytes < lower.Size, "a split leaves two non-empty blocks");
        upperRecord.Offset = lower.Offset + lowerBytes;
        upperRecord.Size = lower.Size - lowerBytes;
        lower.Size = lowerBytes;
        int next = lower.PhysicalNext;
        upperRecord.PhysicalPrev = handle;
        upperRecord.PhysicalNext = next;
        lower.PhysicalNext = upper;
        if (next == None)
        {
            _physicalTail = upper;
        }
        else
        {
            records[next].PhysicalPrev = upper;
        }

        return upper;
    }

    /// <summary>Absorbs <paramref name="upper"/> into its physical predecessor <paramref name="lower"/> and recycles its record.</summary>
    private void MergeIntoLower(int lower, int upper)
    {
        BlockRecord[] records = _records;
        ref BlockRecord lowerRecord = ref records[lower];
        ref BlockRecord upperRecord = ref records[upper];
        Debug.Assert(lowerRecord.PhysicalNext == upper && lowerRecord.Offset + lowerRecord.Size == upperRecord.Offset, "only physical neighbours merge");
        lowerRecord.Size += upperRecord.Size;
        int next = upperRecord.PhysicalNext;
        lowerRecord.PhysicalNext = next;
        if (next == None)
        {
            _physicalTail = lower;
        }
        else
        {
            records[next].PhysicalPrev = lower;
        }

        upperRecord.State = BlockState.Dead;
        _deadRecords[_deadRecordCount++] = upper;
    }

    private int NewRecord()
    {
        if (_deadRecordCount > 0)
        {
            return _deadRecords[--_deadRecordCount];
        }

        if (_recordHighWater == _records.Length)
        {
            // Doubling keeps record growth amortized O(1); records are never shrunk.
            int length = checked(_records.Length * 2);
            Array.Resize(ref _records, length);
            Array.Resize(ref _deadRecords, length);
        }

        return _recordHighWater++;
    }

    private static long RoundUpToGranule(long size) => (size + GranuleBytes - 1) & ~(GranuleBytes - 1);

    private static void ValidateRequest(long size, long alignment)
    {
        if (size <= 0 || size > MaxCapacityBytes)
        {
            ThrowBadSize(size);
        }

        if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > MaxAlignmentBytes)
        {
            ThrowBadAlignment(alignment);
        }
    }

    private static void ValidateGrowth(long bytes, long currentCapacity, string parameterName)
    {
        if (bytes <= 0 || (bytes & (GranuleBytes - 1)) != 0 || bytes > MaxCapacityBytes - currentCapacity)
        {
            throw new ArgumentOutOfRangeException(parameterName, bytes,
                $"{parameterName} is {bytes}; it must be a positive multiple of {GranuleBytes} and keep the capacity (now {currentCapacity}) at most {MaxCapacityBytes}.");
        }
    }

    [DoesNotReturn]
    private static void ThrowBadSize(long size) =>
        throw new ArgumentOutOfRangeException(nameof(size), size, $"The size is {size}; it must be between 1 and {MaxCapacityBytes}.");

    [DoesNotReturn]
    private static void ThrowBadAlignment(long alignment) =>
        throw new ArgumentOutOfRangeException(nameof(alignment), alignment,
            $"The alignment is {alignment}; it must be a power of two between 1 and {MaxAlignmentBytes}.");

    [DoesNotReturn]
    private static void ThrowNotAllocated(long offset) =>
        throw new ArgumentException($"Offset {offset} is not the start of a live allocation (never allocated, or already freed).", nameof(offset));

    [DoesNotReturn]
    private static void ThrowSizeMismatch(long offset, long size, long needBytes, long blockBytes) =>
        throw new ArgumentException(
            $"Size {size} rounds to {needBytes} bytes, but the allocation at offset {offset} holds {blockBytes}: free must pass the size it allocated with.",
            nameof(size));

    [DoesNotReturn]
    private static void ThrowAlignmentMismatch(long offset, long alignment) =>
        throw new ArgumentException(
            $"Offset {offset} is not a multiple of alignment {alignment}, so it was not allocated with that alignment.", nameof(alignment));

    /// <summary>One block's metadata. Free-list links are meaningful only while the block is free.</summary>
    internal struct BlockRecord
    {
        public long Offset;
        public long Size;
        public int PhysicalPrev;
        public int PhysicalNext;
        public int FreePrev;
        public int FreeNext;
        public BlockState State;
    }
}
