using System.Globalization;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.SegregatedFit;

/// <content>The invariant checker: re-derives every summary (bitmaps, counters, offset map) from the records.</content>
public sealed partial class SegregatedFitAllocator
{
    /// <inheritdoc />
    /// <remarks>
    /// O(records + lists). The checks run in an order where a single corruption is reported under its own id:
    /// SEG-ALIGNED, SEG-PHYS, SEG-NOFREENBR, SEG-BITMAP, SEG-LISTS, SEG-CACHE, SEG-CACHEBOUND, SEG-CONSERVE, SEG-USEDMAP.
    /// </remarks>
    // Never inlined, so that a violation's stack trace always names the structure that found it, even where the
    // JIT would inline this into a caller or into a delegate call it has devirtualised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CheckInvariants()
    {
        Invariant.ThrowIfViolated(CheckAligned());
        Invariant.ThrowIfViolated(CheckPhysical());
        Invariant.ThrowIfViolated(CheckNoFreeNeighbours());
        Invariant.ThrowIfViolated(CheckBitmaps());
        Invariant.ThrowIfViolated(CheckLists());
        Invariant.ThrowIfViolated(CheckFrontCache());
        Invariant.ThrowIfViolated(CheckFrontCacheBounds());
        Invariant.ThrowIfViolated(CheckConservation());
        Invariant.ThrowIfViolated(CheckUsedMap());
    }

    private InvariantViolation? CheckAligned()
    {
        for (int handle = 0; handle < _recordHighWater; handle++)
        {
            if (_records[handle].State == BlockState.Dead)
            {
                continue;
            }

            long offset = _records[handle].Offset;
            long size = _records[handle].Size;
            if ((offset & (GranuleBytes - 1)) != 0 || (size & (GranuleBytes - 1)) != 0 || size < GranuleBytes)
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Aligned, Block(handle),
                    $"offset {offset} and size {size} must be multiples of the granule {GranuleBytes}, and the size at least one granule");
            }
        }

        return null;
    }

    private InvariantViolation? CheckPhysical()
    {
        int liveRecords = 0;
        for (int handle = 0; handle < _recordHighWater; handle++)
        {
            liveRecords += _records[handle].State == BlockState.Dead ? 0 : 1;
        }

        if (liveRecords != _recordHighWater - _deadRecordCount)
        {
            return new InvariantViolation(SegregatedFitInvariantIds.Physical, "record table",
                $"{liveRecords} records are live but {_recordHighWater} were handed out and {_deadRecordCount} are on the reuse stack");
        }

        for (int i = 0; i < _deadRecordCount; i++)
        {
            int dead = _deadRecords[i];
            if ((uint)dead >= (uint)_recordHighWater || _records[dead].State != BlockState.Dead)
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Physical, $"reuse stack entry #{i}",
                    $"record {dead} is on the reuse stack but is not a dead record");
            }
        }

        long expectedOffset = 0;
        int previous = None;
        int visited = 0;
        for (int handle = _physicalHead; handle != None; handle = _records[handle].PhysicalNext)
        {
            if ((uint)handle >= (uint)_recordHighWater || _records[handle].State == BlockState.Dead)
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Physical, $"physical link from {Show(previous)}",
                    $"links to record {handle}, which is not a live record");
            }

            if (++visited > liveRecords)
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Physical, Block(handle),
                    $"the physical walk passed {liveRecords} blocks, the number of live records: the chain is cyclic");
            }

            if (_records[handle].PhysicalPrev != previous)
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Physical, Block(handle),
                    $"its physical previous link is {Show(_records[handle].PhysicalPrev)} but the walk came from {Show(previous)}");
            }

            if (_records[handle].Offset != expectedOffset || _records[handle].Size > _capacityBytes - expectedOffset)
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Physical, Block(handle),
                    $"blocks must tile [0, {_capacityBytes}): expected offset {expectedOffset} and an end inside the range, found offset {_records[handle].Offset} size {_records[handle].Size}");
            }

            expectedOffset += _records[handle].Size;
            previous = handle;
        }

        if (expectedOffset != _capacityBytes || previous != _physicalTail || visited != liveRecords)
        {
            return new InvariantViolation(SegregatedFitInvariantIds.Physical, "physical chain",
                $"the walk ended at offset {expectedOffset} (capacity {_capacityBytes}) on record {Show(previous)} (tail {Show(_physicalTail)}) after {visited} of {liveRecords} live records");
        }

        return null;
    }

    private InvariantViolation? CheckNoFreeNeighbours()
    {
        for (int handle = _physicalHead; handle != None; handle = _records[handle].PhysicalNext)
        {
            int next = _records[handle].PhysicalNext;
            if (next != None && _records[handle].State == BlockState.Free && _records[next].State == BlockState.Free)
            {
                return new InvariantViolation(SegregatedFitInvariantIds.NoFreeNeighbours, Block(handle),
                    $"it and its physical successor {Block(next)} are both free; freeing must have coalesced them");
            }
        }

        return null;
    }

    private InvariantViolation? CheckBitmaps()
    {
        for (int firstLevel = 0; firstLevel < FirstLevelCount; firstLevel++)
        {
            uint secondMap = _secondLevelMaps[firstLevel];
            bool firstBit = (_firstLevelMap & (1UL << firstLevel)) != 0;
            if (firstBit != (secondMap != 0))
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Bitmap, $"first level {firstLevel}",
                    $"the first-level bit is {firstBit} but the second-level bitmap is 0x{secondMap:x}");
            }

            for (int secondLevel = 0; secondLevel < 32; secondLevel++)
            {
                bool secondBit = (secondMap & (1u << secondLevel)) != 0;
                bool nonEmpty = secondLevel < _secondLevelCount && _listHeads[ListIndex(firstLevel, secondLevel)] != None;
                if (secondBit != nonEmpty)
                {
                    return new InvariantViolation(SegregatedFitInvariantIds.Bitmap, ListName(firstLevel, secondLevel),
                        $"the second-level bit is {secondBit} but the list is {(nonEmpty ? "non-empty" : "empty")}");
                }
            }
        }

        return null;
    }

    private InvariantViolation? CheckLists()
    {
        var seen = new bool[_recordHighWater];
        var members = new List<int>();
        var freePrev = new int[_records.Length];
        var freeNext = new int[_records.Length];
        for (int handle = 0; handle < _records.Length; handle++)
        {
            freePrev[handle] = _records[handle].FreePrev;
            freeNext[handle] = _records[handle].FreeNext;
        }

        for (int firstLevel = 0; firstLevel < FirstLevelCount; firstLevel++)
        {
            for (int secondLevel = 0; secondLevel < _secondLevelCount; secondLevel++)
            {
                int list = ListIndex(firstLevel, secondLevel);
                string name = ListName(firstLevel, secondLevel);
                InvariantViolation? links = IndexLinkedListChecks.CheckLinks(
                    name, _listHeads[list], _listTails[list], freePrev, freeNext, members, SegregatedFitInvariantIds.Lists);
                if (links is not null)
                {
                    return links;
                }

                foreach (int handle in members)
                {
                    if ((uint)handle >= (uint)_recordHighWater || _records[handle].State != BlockState.Free)
                    {
                        return new InvariantViolation(SegregatedFitInvariantIds.Lists, $"{name} element {handle}", "only free blocks belong on a free list");
                    }

                    if (seen[handle])
                    {
                        return new InvariantViolation(SegregatedFitInvariantIds.Lists, $"{name} element {handle}", "the block is on a free list more than once");
                    }

                    seen[handle] = true;
                    MapToList(_records[handle].Size >> GranuleShift, out int expectedFirst, out int expectedSecond);
                    if (expectedFirst != firstLevel || expectedSecond != secondLevel)
                    {
                        return new InvariantViolation(SegregatedFitInvariantIds.Lists, $"{name} element {Block(handle)}",
                            $"its size belongs on {ListName(expectedFirst, expectedSecond)}");
                    }
                }
            }
        }

        for (int handle = 0; handle < _recordHighWater; handle++)
        {
            if (_records[handle].State == BlockState.Free && !seen[handle])
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Lists, Block(handle), "the block is free but on no free list");
            }
        }

        return null;
    }

    private InvariantViolation? CheckFrontCache()
    {
        // Walks are bounded by the record count, so a cyclic cache list is reported instead of looping.
        var seen = new bool[_recordHighWater];
        int parkedBlocks = 0;
        long parkedBytes = 0;
        for (int units = 0; units < _frontCacheHeads.Length; units++)
        {
            int length = 0;
            for (int handle = _frontCacheHeads[units]; handle != None; handle = _records[handle].FreeNext)
            {
                string where = string.Create(CultureInfo.InvariantCulture, $"front cache list {units} element {handle}");
                if ((uint)handle >= (uint)_recordHighWater || _records[handle].State != BlockState.Cached)
                {
                    return new InvariantViolation(SegregatedFitInvariantIds.Cache, where, "only parked blocks belong on a front-cache list");
                }

                if (seen[handle])
                {
                    return new InvariantViolation(SegregatedFitInvariantIds.Cache, where, "the block is on a front-cache list more than once (or the list is cyclic)");
                }

                seen[handle] = true;
                if (_records[handle].Size != (long)units << GranuleShift)
                {
                    return new InvariantViolation(SegregatedFitInvariantIds.Cache, $"{where} {Block(handle)}",
                        string.Create(CultureInfo.InvariantCulture, $"list {units} holds blocks of {units} granules only"));
                }

                length++;
                parkedBytes += _records[handle].Size;
            }

            if (length != _frontCacheCounts[units])
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Cache, string.Create(CultureInfo.InvariantCulture, $"front cache list {units}"),
                    string.Create(CultureInfo.InvariantCulture, $"it holds {length} blocks but its count says {_frontCacheCounts[units]}"));
            }

            parkedBlocks += length;
        }

        for (int handle = 0; handle < _recordHighWater; handle++)
        {
            if (_records[handle].State == BlockState.Cached && !seen[handle])
            {
                return new InvariantViolation(SegregatedFitInvariantIds.Cache, Block(handle), "the block is parked but on no front-cache list");
            }
        }

        return Invariant.Require(parkedBlocks == _cachedBlockCount && parkedBytes == _cachedBytes, SegregatedFitInvariantIds.Cache, "front cache counters",
            () => $"the lists park {parkedBlocks} blocks of {parkedBytes} bytes, but the counters say {_cachedBlockCount} blocks of {_cachedBytes} bytes");
    }

    private InvariantViolation? CheckFrontCacheBounds()
    {
        if (_frontCacheDepth == 0 && _frontCacheHeads.Length != 0)
        {
            return new InvariantViolation(SegregatedFitInvariantIds.CacheBound, "front cache", "the cache is off but has lists");
        }

        for (int units = 0; units < _frontCacheHeads.Length; units++)
        {
            if (_frontCacheCounts[units] > _frontCacheDepth || (units == 0 && _frontCacheCounts[units] != 0))
            {
                return new InvariantViolation(SegregatedFitInvariantIds.CacheBound, string.Create(CultureInfo.InvariantCulture, $"front cache list {units}"),
                    string.Create(CultureInfo.InvariantCulture, $"it parks {_frontCacheCounts[units]} blocks; the depth is {_frontCacheDepth} and blocks are 1..{FrontCacheListCount - 1} granules"));
            }
        }

        for (int handle = 0; handle < _recordHighWater; handle++)
        {
            if (_records[handle].State == BlockState.Cached && (_frontCacheDepth == 0 || _records[handle].Size > _frontCacheLimitBytes))
            {
                return new InvariantViolation(SegregatedFitInvariantIds.CacheBound, Block(handle),
                    string.Create(CultureInfo.InvariantCulture, $"parked, but the cache parks only blocks of at most {_frontCacheLimitBytes} bytes (depth {_frontCacheDepth})"));
            }
        }

        return null;
    }

    private InvariantViolation? CheckConservation()
    {
        long freeBytes = 0;
        long usedBytes = 0;
        long parkedBytes = 0;
        int freeBlocks = 0;
        int usedBlocks = 0;
        for (int handle = _physicalHead; handle != None; handle = _records[handle].PhysicalNext)
        {
            switch (_records[handle].State)
            {
                case BlockState.Free:
                    freeBytes += _records[handle].Size;
                    freeBlocks++;
                    break;
                case BlockState.Cached:
                    parkedBytes += _records[handle].Size;
                    break;
                default:
                    usedBytes += _records[handle].Size;
                    usedBlocks++;
                    break;
            }
        }

        return RangeSequenceChecks.Conserved(freeBytes + parkedBytes, usedBytes, _capacityBytes, SegregatedFitInvariantIds.Conserve, "range")
            ?? Invariant.Require(freeBytes == _freeBytes && freeBlocks == _freeBlockCount && usedBlocks == _usedBlockCount,
                SegregatedFitInvariantIds.Conserve, "counters",
                () => $"the blocks hold {freeBytes} free bytes in {freeBlocks} free blocks and {usedBlocks} used blocks, but the counters say {_freeBytes} bytes, {_freeBlockCount} free and {_usedBlockCount} used");
    }

    private InvariantViolation? CheckUsedMap()
    {
        int occupied = 0;
        for (int slot = 0; slot < _usedByOffset.SlotCount; slot++)
        {
            occupied += _usedByOffset.IsOccupied(slot) ? 1 : 0;
        }

        // A lookup stops at an empty slot, so it terminates only while some slot is empty.
        if (occupied != _usedByOffset.Count || occupied != _usedBlockCount + _cachedBlockCount || occupied >= _usedByOffset.SlotCount)
        {
            return new InvariantViolation(SegregatedFitInvariantIds.UsedMap, "offset map",
                $"{occupied} of its {_usedByOffset.SlotCount} slots are occupied, it counts {_usedByOffset.Count} entries, and {_usedBlockCount} blocks are used and {_cachedBlockCount} parked; all three must agree, and some slot must be empty");
        }

        for (int slot = 0; slot < _usedByOffset.SlotCount; slot++)
        {
            if (!_usedByOffset.IsOccupied(slot))
            {
                continue;
            }

            int handle = _usedByOffset.HandleAt(slot);
            if ((uint)handle >= (uint)_recordHighWater || _records[handle].State is not (BlockState.Used or BlockState.Cached)
                || UsedOffsetTable.Tag(_records[handle].Offset) != _usedByOffset.TagAt(slot))
            {
                return new InvariantViolation(SegregatedFitInvariantIds.UsedMap, $"offset map slot {slot}",
                    $"it names record {handle}, which is not a used or parked block with the slot's tag {_usedByOffset.TagAt(slot)}");
            }

        }

        // Every entry names a used record, so the lookups below read only valid records.
        for (int slot = 0; slot < _usedByOffset.SlotCount; slot++)
        {
            if (!_usedByOffset.IsOccupied(slot))
            {
                continue;
            }

            long offset = _records[_usedByOffset.HandleAt(slot)].Offset;
            if (_usedByOffset.Find(offset, _records) != slot)
            {
                return new InvariantViolation(SegregatedFitInvariantIds.UsedMap, $"offset map entry {offset}",
                    $"a lookup of offset {offset} does not reach slot {slot}, where it is stored: its probe run is broken");
            }
        }

        return null;
    }

    private string Block(int handle) =>
        (uint)handle < (uint)_recordHighWater
            ? string.Create(CultureInfo.InvariantCulture, $"block {handle} [{_records[handle].Offset}, +{_records[handle].Size}) {_records[handle].State}")
            : string.Create(CultureInfo.InvariantCulture, $"block {handle}");

    private static string ListName(int firstLevel, int secondLevel) =>
        string.Create(CultureInfo.InvariantCulture, $"free list ({firstLevel},{secondLevel})");

    private static string Show(int handle) => handle == None ? "none" : handle.ToString(CultureInfo.InvariantCulture);
}
