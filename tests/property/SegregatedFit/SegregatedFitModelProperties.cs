using Veralloc.Allocators.SegregatedFit;
using Veralloc.Invariants;
using Veralloc.Tests.Property.Models;
using Veralloc.Tests.Property.Textbook;
using static Veralloc.Tests.Property.Textbook.AllocationScripts;

namespace Veralloc.Tests.Property.SegregatedFit;

/// <summary>
/// Random allocate/free/grow scripts (second-level bits 1..5) against <see cref="SegregatedFitModel"/>. After every
/// step: CheckInvariants; every allocation aligned, inside the range and overlapping no live block (a shadow of the
/// range carries each block's tag, checked at allocation and before free); the free blocks are exactly the gaps
/// between live blocks (immediate coalescing); counters and LargestFreeBlock agree; a failed allocation changes
/// nothing and happens only when no free block reaches <c>SufficientFreeBlockBytes</c> (the good-fit guarantee).
/// Every fourth free first tries a bogus free (an offset inside a block, or a wrong size), which must throw and change
/// nothing. At the end everything is freed and one block covers the range.
/// </summary>
/// <remarks>
/// The same scripts also run with the front cache on (depth 1..4): then the free ranges (free and parked blocks merged)
/// must still be exactly the gaps, FreeBlockCount may exceed the gap count and LargestFreeBlock may be below the largest
/// gap (parked blocks are uncoalesced) until a flush, after which (every seventh step) both are exact again; a failed
/// allocation may flush the cache but must leave the free ranges and counters as they were.
/// Not covered here: which block the policy picks (the unit tests pin exact placements), bad input and corruption (unit tests).
/// </remarks>
public sealed class SegregatedFitModelProperties
{
    private const long InitialCapacity = 8 * 1024;
    private const long MaxCapacity = 64 * 1024;

    [Fact]
    public void AllocatorKeepsItsPromisesAfterEveryStep()
    {
        var totals = new Totals();

        GuardedProperty.Check("Segregated fit", Scripts(maxLength: 200, knobMin: 1, knobMax: 5, growWeight: 1), script => Run(script, totals, frontCacheDepth: 0), maxTest: 150);

        Assert.True(totals.Steps >= 5000, $"only {totals.Steps} steps ran");
        Assert.True(totals.OutOfMemory >= 20, $"only {totals.OutOfMemory} failed allocations");
        Assert.True(totals.Growths >= 20, $"only {totals.Growths} growths");
        Assert.True(totals.AlignedSplits >= 50, $"only {totals.AlignedSplits} allocations needed a front split");
        Assert.True(totals.RejectedFrees >= 200, $"only {totals.RejectedFrees} bogus frees were tried");
    }

    [Fact]
    public void FrontCacheKeepsItsPromisesAfterEveryStep()
    {
        var totals = new Totals();

        GuardedProperty.Check("Segregated fit with a front cache", Scripts(maxLength: 200, knobMin: 1, knobMax: 5, growWeight: 1),
            script => Run(script, totals, frontCacheDepth: 1 + (script.Commands.Length % 4)), maxTest: 150);

        Assert.True(totals.Steps >= 5000, $"only {totals.Steps} steps ran");
        Assert.True(totals.OutOfMemory >= 20, $"only {totals.OutOfMemory} failed allocations");
        Assert.True(totals.Growths >= 20, $"only {totals.Growths} growths");
        Assert.True(totals.CacheHits >= 200, $"only {totals.CacheHits} allocations were served by the front cache");
        Assert.True(totals.Flushes >= 5, $"only {totals.Flushes} allocations flushed the cache before failing or succeeding");
        Assert.True(totals.RejectedFrees >= 200, $"only {totals.RejectedFrees} bogus frees were tried");
    }

    private static void Run(AllocationScript script, Totals totals, int frontCacheDepth)
    {
        bool cached = frontCacheDepth > 0;
        var allocator = new SegregatedFitAllocator(InitialCapacity,
            new SegregatedFitOptions { SecondLevelBits = script.Knob, InitialBlockRecords = 4, FrontCacheDepth = frontCacheDepth });
        var model = new SegregatedFitModel(InitialCapacity);
        var live = new List<LiveAllocation>();
        for (int step = 0; step < script.Commands.Length; step++)
        {
            AllocationCommand command = script.Commands[step];
            string where = $"step {step} ({command})";
            switch (command)
            {
                case AllocationCommand.Allocate(long size, long alignment):
                {
                    string before = cached ? CachedState(allocator) : State(allocator);
                    long sufficient = allocator.SufficientFreeBlockBytes(size, alignment);
                    List<AddressRange> gapsBefore = model.FreeRanges();
                    int parkedBefore = allocator.FrontCachedBlockCount;
                    bool ok = allocator.TryAllocate(size, alignment, out long offset);
                    totals.CacheHits += allocator.FrontCachedBlockCount == parkedBefore - 1 ? 1 : 0;
                    totals.Flushes += parkedBefore > 0 && allocator.FrontCachedBlockCount == 0 && parkedBefore != 1 ? 1 : 0;
                    if (ok)
                    {
                        var allocation = new LiveAllocation(offset, size, alignment, (byte)((step % 251) + 1));
                        string? problem = model.Allocated(offset, size, alignment, allocation.Pattern);
                        Require(problem is null, where, problem ?? string.Empty);
                        totals.AlignedSplits += gapsBefore.Any(gap => gap.Start < offset && offset < gap.End) ? 1 : 0;
                        live.Add(allocation);
                    }
                    else
                    {
                        totals.OutOfMemory++;
                        string after = cached ? CachedState(allocator) : State(allocator);
                        Require(after == before, where, $"a failed allocation changed the state: {before} became {after}");
                        long largest = gapsBefore.Count == 0 ? 0 : gapsBefore.Max(gap => gap.Size);
                        Require(largest < sufficient, where, $"good-fit guarantee broken: a free block of {largest} bytes >= {sufficient} existed but the allocation failed");
                    }

                    break;
                }

                case AllocationCommand.Free(int index):
                {
                    if (live.Count == 0)
                    {
                        continue;
                    }

                    LiveAllocation victim = live[index % live.Count];
                    if (index % 4 == 0)
                    {
                        totals.RejectedFrees += RejectBogusFree(allocator, live, victim, where);
                    }

                    live.Remove(victim);
                    allocator.Free(victim.Offset, victim.Size, victim.Alignment);
                    string? problem = model.Freed(victim.Offset, victim.Pattern);
                    Require(problem is null, where, problem ?? string.Empty);
                    break;
                }

                case AllocationCommand.Grow(long bytes):
                {
                    if (model.Capacity + bytes > MaxCapacity)
                    {
                        continue;
                    }

                    allocator.Grow(bytes);
                    model.Grow(bytes);
                    totals.Growths++;
                    Require(allocator.FrontCachedBlockCount == 0, where, $"{allocator.FrontCachedBlockCount} blocks are still parked after a growth");
                    break;
                }
            }

            if (cached && step % 7 == 6)
            {
                allocator.FlushFrontCache();
                Require(allocator.FrontCachedBlockCount == 0, where, $"{allocator.FrontCachedBlockCount} blocks are still parked after a flush");
            }

            AfterStep(allocator, model, where);
            totals.Steps++;
        }

        foreach (LiveAllocation allocation in live)
        {
            allocator.Free(allocation.Offset, allocation.Size, allocation.Alignment);
            string? problem = model.Freed(allocation.Offset, allocation.Pattern);
            Require(problem is null, "end", problem ?? string.Empty);
            AfterStep(allocator, model, "end");
        }

        var ranges = new List<AddressRange>();
        allocator.CopyFreeRanges(ranges);
        allocator.FlushFrontCache();
        AfterStep(allocator, model, "end, flushed");
        Require(allocator.FreeBlockCount == 1, "end", $"after freeing everything and flushing, {allocator.FreeBlockCount} free blocks remain");
        Require(ranges.SequenceEqual([new AddressRange(0, model.Capacity)]), "end",
            $"after freeing everything the free blocks are {string.Join(",", ranges)}, expected one covering [0, {model.Capacity})");
    }

    /// <summary>Checked frees: an offset inside (not at the start of) a block, or the right offset with a size that rounds differently, throws and changes nothing.</summary>
    private static int RejectBogusFree(SegregatedFitAllocator allocator, List<LiveAllocation> live, LiveAllocation victim, string where)
    {
        string before = State(allocator);
        long inside = victim.Offset + 16;
        bool insideIsLive = live.Any(allocation => allocation.Offset == inside);
        (long Offset, long Size) bogus = insideIsLive ? (victim.Offset, SegregatedFitModel.Rounded(victim.Size) + 1) : (inside, victim.Size);
        try
        {
            allocator.Free(bogus.Offset, bogus.Size, 1);
        }
        catch (ArgumentException)
        {
            Require(State(allocator) == before, where, $"a rejected free of ({bogus.Offset}, {bogus.Size}) changed the state");
            CheckInvariants(allocator, where);
            return 1;
        }

        throw new InvalidOperationException($"{where}: the bogus free ({bogus.Offset}, {bogus.Size}) was accepted");
    }

    private static void AfterStep(SegregatedFitAllocator allocator, SegregatedFitModel model, string where)
    {
        CheckInvariants(allocator, where);
        var ranges = new List<AddressRange>();
        allocator.CopyFreeRanges(ranges);
        List<AddressRange> gaps = model.FreeRanges();
        Require(ranges.SequenceEqual(gaps), where, $"free blocks {string.Join(",", ranges)}, but the gaps between live blocks are {string.Join(",", gaps)}");
        Require(allocator.CapacityBytes == model.Capacity, where, $"capacity {allocator.CapacityBytes}, model {model.Capacity}");
        Require(allocator.FreeBytes + model.LiveBytes == model.Capacity, where, $"free {allocator.FreeBytes} + live {model.LiveBytes} != capacity {model.Capacity}");
        Require(allocator.UsedBlockCount == model.LiveCount, where, $"{allocator.UsedBlockCount} used blocks, model {model.LiveCount}");
        long largest = gaps.Count == 0 ? 0 : gaps.Max(gap => gap.Size);
        if (allocator.FrontCachedBlockCount == 0)
        {
            Require(allocator.FreeBlockCount == gaps.Count, where, $"{allocator.FreeBlockCount} free blocks, model {gaps.Count}");
            Require(allocator.LargestFreeBlock == largest, where, $"LargestFreeBlock {allocator.LargestFreeBlock}, model {largest}");
        }
        else
        {
            // Parked blocks are uncoalesced: each gap holds at least one free or parked block, and the index's largest
            // free block is part of some gap.
            Require(allocator.FreeBlockCount >= gaps.Count, where, $"{allocator.FreeBlockCount} free and parked blocks, fewer than the {gaps.Count} gaps");
            Require(allocator.LargestFreeBlock <= largest, where, $"LargestFreeBlock {allocator.LargestFreeBlock} exceeds the largest gap {largest}");
        }
    }

    /// <summary>What a failed allocation must keep with the cache on: it may flush, which merges blocks but no ranges.</summary>
    private static string CachedState(SegregatedFitAllocator allocator)
    {
        var ranges = new List<AddressRange>();
        allocator.CopyFreeRanges(ranges);
        return $"free {allocator.FreeBytes}, used {allocator.UsedBlockCount}: {string.Join(",", ranges)}";
    }

    private static string State(SegregatedFitAllocator allocator)
    {
        var ranges = new List<AddressRange>();
        allocator.CopyFreeRanges(ranges);
        return $"free {allocator.FreeBytes} in {allocator.FreeBlockCount}, used {allocator.UsedBlockCount}: {string.Join(",", ranges)}";
    }

    private sealed class Totals
    {
        public long Steps { get; set; }

        public long OutOfMemory { get; set; }

        public long Growths { get; set; }

        public long AlignedSplits { get; set; }

        public long RejectedFrees { get; set; }

        public long CacheHits { get; set; }

        public long Flushes { get; set; }
    }
}
