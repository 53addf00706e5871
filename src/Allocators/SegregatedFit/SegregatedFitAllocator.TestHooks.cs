namespace Veralloc.Allocators.SegregatedFit;

/// <content>
/// Corruption hooks for the invariant tests (visible to the test assemblies only): each breaks exactly one
/// invariant so a test can assert that <see cref="CheckInvariants"/> reports that invariant's id.
/// </content>
public sealed partial class SegregatedFitAllocator
{
    /// <summary>The handle of the block starting at <paramref name="offset"/>, found by a physical walk, or -1.</summary>
    internal int HandleAtForTest(long offset)
    {
        for (int handle = _physicalHead; handle != None; handle = _records[handle].PhysicalNext)
        {
            if (_records[handle].Offset == offset)
            {
                return handle;
            }
        }

        return None;
    }

    internal void SetSizeForTest(int handle, long size) => _records[handle].Size = size;

    internal void SetPhysicalPrevForTest(int handle, int previous) => _records[handle].PhysicalPrev = previous;

    internal void SetFreeNextForTest(int handle, int next) => _records[handle].FreeNext = next;

    internal void FlipSecondLevelBitForTest(int firstLevel, int secondLevel) => _secondLevelMaps[firstLevel] ^= 1u << secondLevel;

    internal void SetFreeBytesForTest(long freeBytes) => _freeBytes = freeBytes;

    internal void ForgetUsedOffsetForTest(long offset) => _usedByOffset.RemoveAt(_usedByOffset.Find(offset, _records));

    /// <summary>Unlinks a free block from its list (bitmaps and counters follow) but leaves it marked free.</summary>
    internal void UnlinkFreeBlockForTest(int handle) => RemoveFree(handle);

    /// <summary>Points a parked block's front-cache link elsewhere (the "none" handle cuts the list after it).</summary>
    internal void SetFrontCacheNextForTest(int handle, int next) => _records[handle].FreeNext = next;

    /// <summary>Lowers or raises the front cache's depth without touching what is parked.</summary>
    internal void SetFrontCacheDepthForTest(int depth) => _frontCacheDepth = depth;

    /// <summary>Overwrites a record's state and nothing else (lists, bitmaps, counters and the offset map stay as they are).</summary>
    internal void SetStateForTest(int handle, BlockState state) => _records[handle].State = state;

    internal void SetPhysicalNextForTest(int handle, int next) => _records[handle].PhysicalNext = next;

    /// <summary>Overwrites entry <paramref name="index"/> of the stack of records free for reuse, leaving its length as it is.</summary>
    internal void SetReuseStackEntryForTest(int index, int handle) => _deadRecords[index] = handle;

    /// <summary>How many records have ever been handed out: the record table's high-water mark.</summary>
    internal int RecordsHandedOutForTest => _recordHighWater;

    internal void FlipFirstLevelBitForTest(int firstLevel) => _firstLevelMap ^= 1UL << firstLevel;

    /// <summary>Points list (<paramref name="firstLevel"/>, <paramref name="secondLevel"/>)'s head and tail at one block, whatever list it is on.</summary>
    internal void SetListEndsForTest(int firstLevel, int secondLevel, int handle)
    {
        int list = ListIndex(firstLevel, secondLevel);
        _listHeads[list] = handle;
        _listTails[list] = handle;
    }

    /// <summary>Moves a free block to the list of blocks of <paramref name="units"/> granules (bitmaps and counters follow); its size is unchanged.</summary>
    internal void FileFreeBlockAsForTest(int handle, long units)
    {
        long size = _records[handle].Size;
        RemoveFree(handle);
        _records[handle].Size = units << GranuleShift;
        InsertFree(handle);
        _freeBytes += size - _records[handle].Size;
        _records[handle].Size = size;
    }

    internal void SetCachedBytesForTest(long cachedBytes) => _cachedBytes = cachedBytes;

    /// <summary>Points the offset table's entry for a used <paramref name="offset"/> at another record; returns the entry's slot.</summary>
    internal int SetUsedOffsetHandleForTest(long offset, int handle) => RewriteUsedOffsetEntry(offset, UsedOffsetTable.Tag(offset), handle);

    /// <summary>
    /// Rewrites the offset table's entry for a used <paramref name="offset"/> to name the block at
    /// <paramref name="namedOffset"/>, with that block's tag, so that only the named record's state can tell it is wrong;
    /// returns the entry's slot.
    /// </summary>
    internal int SetUsedOffsetEntryForTest(long offset, long namedOffset) =>
        RewriteUsedOffsetEntry(offset, UsedOffsetTable.Tag(namedOffset), HandleAtForTest(namedOffset));

    private int RewriteUsedOffsetEntry(long offset, uint tag, int handle)
    {
        int slot = _usedByOffset.Find(offset, _records);
        _usedByOffset.SetEntryForTest(slot, tag, handle);
        return slot;
    }

    /// <summary>
    /// Moves the offset table's entry for a used <paramref name="offset"/> to the next empty slot after its own, leaving
    /// its old slot empty, so a lookup from the entry's home slot stops before reaching it; returns the new slot.
    /// </summary>
    internal int MoveUsedOffsetForTest(long offset)
    {
        int slot = _usedByOffset.Find(offset, _records);
        int target = slot;
        do
        {
            target = (target + 1) % _usedByOffset.SlotCount;
        }
        while (_usedByOffset.IsOccupied(target));

        _usedByOffset.SetEntryForTest(target, UsedOffsetTable.Tag(offset), _usedByOffset.HandleAt(slot));
        _usedByOffset.SetEntryForTest(slot, 0, None);
        return target;
    }

    /// <summary>Marks a used block free and lists it, without coalescing and without touching the offset map.</summary>
    internal void MarkFreeWithoutCoalescingForTest(int handle)
    {
        _usedBlockCount--;
        InsertFree(handle);
    }

    /// <content>The offset table's corruption hook.</content>
    private sealed partial class UsedOffsetTable
    {
        /// <summary>Writes <paramref name="slot"/> directly, bypassing probing and the count (<see cref="None"/> empties it).</summary>
        public void SetEntryForTest(int slot, uint tag, int handle) => _entries[slot] = new Entry(tag, handle);
    }
}
