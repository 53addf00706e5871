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

    /// <summary>Marks a used block free and lists it, without coalescing and without touching the offset map.</summary>
    internal void MarkFreeWithoutCoalescingForTest(int handle)
    {
        _usedBlockCount--;
        InsertFree(handle);
    }
}
