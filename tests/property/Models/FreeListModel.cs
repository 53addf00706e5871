using Veralloc.Invariants;

namespace Veralloc.Tests.Property.Models;

/// <summary>
/// A deliberately naive reference model of SEED-SEMANTICS §1, written from the text and sharing no
/// code with the allocator: the free set is a plain list of ranges, re-sorted and re-merged from
/// scratch after every change, and the heap is a page counter with its own growth limit.
/// It predicts exact offsets, the exact free list (descending) and every growth.
/// </summary>
internal sealed class FreeListModel
{
    public const long Node = 16;
    public const long Page = 64 * 1024;

    private readonly int _maxPages;
    private readonly long _failingGrowthAttempt;
    private readonly bool _exactFitAtHeapBase;
    private List<AddressRange> _free = [];

    /// <param name="maxPages">Growth beyond this many pages fails (the slab limit).</param>
    /// <param name="failingGrowthAttempt">The 0-based growth attempt that fails by injection, or -1 for none.</param>
    /// <param name="exactFitAtHeapBase">False: §1's `full >= end` guard literally; true: only blocks too small are skipped.</param>
    public FreeListModel(int maxPages, long failingGrowthAttempt = -1, bool exactFitAtHeapBase = false)
    {
        _maxPages = maxPages;
        _failingGrowthAttempt = failingGrowthAttempt;
        _exactFitAtHeapBase = exactFitAtHeapBase;
    }

    public int Pages { get; private set; }

    public long HeapBytes => Pages * Page;

    public long GrowthAttempts { get; private set; }

    /// <summary>Live allocations: offset to rounded size.</summary>
    public Dictionary<long, long> Live { get; } = [];

    /// <summary>The free blocks, highest first, with touching blocks merged.</summary>
    public IReadOnlyList<AddressRange> FreeList => _free;

    public long FreeBytes => _free.Sum(r => r.Size);

    public static long Full(long size) => (Math.Max(size, Node) + Node - 1) / Node * Node;

    /// <summary>The offset §1 returns, or null when nothing fits and the heap cannot grow.</summary>
    public long? Allocate(long size, long alignment)
    {
        long full = Full(size);
        long align = Math.Max(alignment, Node);
        long? found = FirstFitFromTop(full, align);
        if (found is null)
        {
            long pages = (full + Page - 1) / Page;
            long attempt = GrowthAttempts++;
            if (attempt == _failingGrowthAttempt || Pages + pages > _maxPages)
            {
                return null;
            }

            long grownStart = HeapBytes;
            Pages += (int)pages;
            AddFree(new AddressRange(grownStart, pages * Page));
            found = FirstFitFromTop(full, align);
        }

        if (found is long offset)
        {
            Live.Add(offset, full);
        }

        return found;
    }

    public void Free(long offset)
    {
        long full = Live[offset];
        Live.Remove(offset);
        AddFree(new AddressRange(offset, full));
    }

    private long? FirstFitFromTop(long full, long align)
    {
        foreach (AddressRange block in _free)
        {
            if (!_exactFitAtHeapBase && full >= block.End)
            {
                continue;
            }

            if (block.End - full < block.Start)
            {
                continue;
            }

            long position = (block.End - full) / align * align;
            if (position < block.Start)
            {
                continue;
            }

            var rest = new List<AddressRange>(_free);
            rest.Remove(block);
            rest.Add(new AddressRange(block.Start, position - block.Start));
            rest.Add(new AddressRange(position + full, block.End - position - full));
            _free = Canonical(rest);
            return position;
        }

        return null;
    }

    private void AddFree(AddressRange range)
    {
        if (_free.Any(r => r.Start < range.End && range.Start < r.End))
        {
            throw new InvalidOperationException($"model: {range} overlaps a free block");
        }

        _free = Canonical([.. _free, range]);
    }

    /// <summary>Drops empty ranges, merges touching ones, and orders the result highest first.</summary>
    private static List<AddressRange> Canonical(List<AddressRange> ranges)
    {
        var merged = new List<AddressRange>();
        foreach (AddressRange range in ranges.Where(r => r.Size > 0).OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && merged[^1].End == range.Start)
            {
                merged[^1] = new AddressRange(merged[^1].Start, merged[^1].Size + range.Size);
            }
            else
            {
                merged.Add(range);
            }
        }

        merged.Reverse();
        return merged;
    }
}
