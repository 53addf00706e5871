using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Allocators.Slots;
using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;
using static Veralloc.Tests.Unit.Reliability.ReliabilityHarness;

namespace Veralloc.Tests.Unit.Reliability;

/// <summary>
/// The hostile-argument tables: for every public member that takes an argument, of every allocator, land and
/// memory backing, the hostile values of each argument (negative, zero, maximum, an offset + size that overflows,
/// an alignment that is not a power of two or is too large, double, foreign, interior, misaligned and wrong-size
/// frees, and use after dispose), each with the exception type and the words its message must contain. Free
/// misuse that an unchecked configuration documents as undetectable (see the README's reliability section) is
/// tried against the configuration that promises to catch it.
/// </summary>
internal static class HostileArgumentTables
{
    private const long Page = LinearMemory.PageBytes;

    private static readonly long[] s_nonPositive = [0, -1, -16, int.MinValue, long.MinValue];

    private static readonly long[] s_notPowersOfTwo = [0, -1, -8, 3, 24, 48, 1000, int.MinValue, long.MinValue, long.MaxValue];

    /// <summary>Builds every table (rows only: a subject is created when its row runs).</summary>
    /// <returns>The tables, one per allocator, land or memory configuration.</returns>
    public static IReadOnlyList<IHostileTable> Create() =>
    [
        FreeList(checkedMode: false),
        FreeList(checkedMode: true),
        FreeListOverDisposedMemory(),
        SegregatedFit(),
        Slots(),
        Bump(tracked: false),
        Bump(tracked: true),
        LinkedList(checkFrees: false),
        LinkedList(checkFrees: true),
        FixedSizeBlocks(),
        Land(nameof(FreeListLand)),
        Land(nameof(TreeLand)),
        Memory("slab"),
        Memory("native"),
        Memory("fault-injecting"),
        FaultInjection(),
        NativeAfterDispose(),
    ];

    /// <summary>Size and alignment rows shared by every offset allocator's TryAllocate and Free.</summary>
    private static void RequestRows<T>(HostileTable<T> table, string entry, Action<T, long, long> call, long size, long alignment, long maxAlignment,
        Func<long, string> sizeWords, string sizeRule, Func<long, string> alignmentWords, string alignmentRule)
        where T : class
    {
        foreach (long bad in s_nonPositive)
        {
            table.Throws<ArgumentOutOfRangeException>(entry, $"size {bad}", s => call(s, bad, alignment), sizeWords(bad), sizeRule);
        }

        foreach (long bad in s_notPowersOfTwo)
        {
            table.Throws<ArgumentOutOfRangeException>(entry, $"alignment {bad}", s => call(s, size, bad), alignmentWords(bad), alignmentRule);
        }

        foreach (long bad in new[] { maxAlignment * 2, 1L << 62 })
        {
            table.Throws<ArgumentOutOfRangeException>(entry, $"alignment {bad} (too large)", s => call(s, size, bad), alignmentWords(bad), alignmentRule == "power of two" ? "at most" : alignmentRule);
        }
    }

    // ---- §1 free list -------------------------------------------------------------------------------------

    private sealed class FreeListSubject : PopulatedSubject
    {
        public FreeListSubject(bool checkedMode, ILinearMemory? memory = null)
        {
            Memory = memory ?? new SlabLinearMemory(maxPages: 4);
            Allocator = new FreeListAllocator(Memory, new FreeListOptions { CheckedMode = checkedMode });
            (Live, Freed) = Populate(Allocator, Memory, [(24, 8), (100, 64), (16, 16), (40, 1), (300, 256), (16, 1)], alsoFreeFourth: true);
        }

        public ILinearMemory Memory { get; }

        public FreeListAllocator Allocator { get; }

        public string Snapshot()
        {
            string table = Allocator.LiveTable is { } live
                ? string.Join(";", live.OrderBy(entry => entry.Key).Select(entry => $"{entry.Key}:{entry.Value}"))
                : "-";
            return $"free [{string.Join(",", Allocator.GetFreeBlocks())}] {Allocator.FreeBytes} live {Allocator.LiveBytes} table {table} {Hash(Memory)}";
        }
    }

    private static IHostileTable FreeList(bool checkedMode)
    {
        var table = new HostileTable<FreeListSubject>($"FreeListAllocator ({(checkedMode ? "checked" : "unchecked")})",
            () => new FreeListSubject(checkedMode), s => s.Snapshot());
        RequestRows(table, "TryAllocate", (s, size, alignment) => s.Allocator.TryAllocate(size, alignment, out _), 16, 16, FreeListAllocator.MaxAlignment,
            v => $"Size {Text(v)}", "must be positive", v => $"Alignment {Text(v)}", "power of two");
        RequestRows(table, "Free", (s, size, alignment) => s.Allocator.Free(s.Live[0].Offset, size, alignment), Live0Size, 8, FreeListAllocator.MaxAlignment,
            v => $"Size {Text(v)}", "must be positive", v => $"Alignment {Text(v)}", "power of two");
        foreach (long size in new[] { long.MaxValue, long.MaxValue - 14 })
        {
            table.Throws<ArgumentOutOfRangeException>("TryAllocate", $"size {size} (rounding overflows)", s => s.Allocator.TryAllocate(size, 1, out _), $"Size {Text(size)}", "overflows");
            table.Throws<ArgumentOutOfRangeException>("Free", $"size {size} (rounding overflows)", s => s.Allocator.Free(s.Live[0].Offset, size, 1), $"Size {Text(size)}", "overflows");
        }

        table.ReturnsFalse("TryAllocate", "size 5 pages (beyond the 4-page slab)", s => s.Allocator.TryAllocate(5 * Page, 1, out _));
        table.ReturnsFalse("TryAllocate", "size 2^62 (more pages than a grower can count)", s => s.Allocator.TryAllocate(1L << 62, 1, out _));
        foreach (long offset in new[] { -16L, -1, long.MinValue, 4 * Page, long.MaxValue })
        {
            table.Throws<ArgumentOutOfRangeException>("Free", $"offset {offset} (outside the heap)", s =>
            {
                long heap = s.Allocator.HeapBytes;
                s.Allocator.Free(offset == 4 * Page ? heap : offset, 16, 1);
            }, "must lie inside the heap", offset == 4 * Page ? "Offset" : $"Offset {Text(offset)}");
        }

        table.Throws<ArgumentOutOfRangeException>("Free", "offset + size overflows (size long.MaxValue - 16)", s => s.Allocator.Free(s.Live[0].Offset, long.MaxValue - 16, 1),
            Text(long.MaxValue - 16), "must end inside the heap");
        table.Throws<ArgumentOutOfRangeException>("Free", "range past the heap end (size = heap)", s => s.Allocator.Free(s.Live[0].Offset, s.Allocator.HeapBytes, 1),
            "rounded to NODE", "must end inside the heap");
        foreach (long delta in new long[] { 1, 8 })
        {
            table.Throws<ArgumentException>("Free", $"misaligned offset (live + {delta})", s => s.Allocator.Free(s.Live[0].Offset + delta, 16, 1),
                "is not a multiple of NODE", "so this allocator never returned it");
        }

        table.Throws<ArgumentException>("Free", "offset not a multiple of the stated alignment", s => s.Allocator.Free(s.Live[0].Offset, s.Live[0].Size, LowestMissingAlignment(s.Live[0].Offset)),
            "is not a multiple of its alignment", "Offset");
        string notLive = checkedMode ? "is not the start of a live allocation" : "overlaps the free block";
        table.Throws<ArgumentException>("Free", "double free", s => s.Allocator.Free(s.Freed.Offset, s.Freed.Size, s.Freed.Alignment), notLive, checkedMode ? "Offset" : "freed range");
        table.Throws<ArgumentException>("Free", "foreign offset (inside free memory)", s => s.Allocator.Free(0, 16, 1), notLive, checkedMode ? "Offset 0" : "[0, 16)");
        if (checkedMode)
        {
            table.Throws<ArgumentException>("Free", "interior offset of a live block", s => s.Allocator.Free(s.Live[2].Offset + 16, 16, 1),
                "is not the start of a live allocation", "Offset");
            table.Throws<ArgumentException>("Free", "wrong size", s => s.Allocator.Free(s.Live[0].Offset, Live0Size - 16, s.Live[0].Alignment),
                "must pass the size and alignment of the allocation", $"size {Text(Live0Size - 16)}");
            table.Throws<ArgumentException>("Free", "wrong but dividing alignment", s => s.Allocator.Free(s.Live[0].Offset, s.Live[0].Size, 1),
                "must pass the size and alignment of the allocation", "alignment 1");
        }

        table.Throws<ArgumentNullException>(".ctor", "memory null", _ => new FreeListAllocator(null!), "memory", "cannot be null");
        return table;
    }

    private const long Live0Size = 24;

    /// <summary>A subject with live allocations and one freed, as <see cref="Populate"/> left it.</summary>
    private abstract class PopulatedSubject
    {
        public List<(long Offset, long Size, long Alignment)> Live { get; protected init; } = [];

        public (long Offset, long Size, long Alignment) Freed { get; protected init; }
    }

    /// <summary>
    /// Allocates <paramref name="requests"/> (filling each with its own byte when a memory is given), then frees the
    /// second, and the fourth too when <paramref name="alsoFreeFourth"/>, so the subject holds holes as well as live blocks.
    /// </summary>
    /// <returns>The allocations still live, in request order, and the second one, now freed.</returns>
    private static (List<(long Offset, long Size, long Alignment)> Live, (long Offset, long Size, long Alignment) Freed) Populate(
        Veralloc.Allocators.IOffsetAllocator allocator, ILinearMemory? memory, (long Size, long Alignment)[] requests, bool alsoFreeFourth)
    {
        var live = new List<(long Offset, long Size, long Alignment)>();
        foreach ((long size, long alignment) in requests)
        {
            Assert.True(allocator.TryAllocate(size, alignment, out long offset));
            live.Add((offset, size, alignment));
            memory?.GetSpan(offset, (int)size).Fill((byte)(live.Count * 37));
        }

        (long Offset, long Size, long Alignment) freed = live[1];
        allocator.Free(freed.Offset, freed.Size, freed.Alignment);
        if (alsoFreeFourth)
        {
            allocator.Free(live[3].Offset, live[3].Size, live[3].Alignment);
            live.RemoveAt(3);
        }

        live.RemoveAt(1);
        return (live, freed);
    }

    private static long LowestMissingAlignment(long offset) => offset == 0 ? throw new InvalidOperationException("offset 0 honours every alignment") : (offset & -offset) * 2;

    private sealed class DisposedFreeList
    {
        public DisposedFreeList()
        {
            var memory = new NativeLinearMemory(maxPages: 2);
            Allocator = new FreeListAllocator(memory);
            Assert.True(Allocator.TryAllocate(100, 16, out long offset));
            Live = offset;
            memory.Dispose();
        }

        public FreeListAllocator Allocator { get; }

        public long Live { get; }
    }

    private static IHostileTable FreeListOverDisposedMemory()
    {
        var table = new HostileTable<DisposedFreeList>("FreeListAllocator over a disposed NativeLinearMemory", () => new DisposedFreeList(),
            s => $"free bytes {s.Allocator.FreeBytes}");
        table.Throws<ObjectDisposedException>("TryAllocate", "use after dispose", s => s.Allocator.TryAllocate(16, 16, out _), "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("Free", "use after dispose", s => s.Allocator.Free(s.Live, 100, 16), "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("GetFreeBlocks", "use after dispose", s => s.Allocator.GetFreeBlocks(), "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("CheckInvariants", "use after dispose", s => s.Allocator.CheckInvariants(), "disposed object", nameof(NativeLinearMemory));
        return table;
    }

    // ---- segregated fit ----------------------------------------------------------------------------------

    private sealed class SegregatedFitSubject : PopulatedSubject
    {
        public SegregatedFitSubject()
        {
            (Live, Freed) = Populate(Allocator, null, [(24, 8), (100, 64), (16, 16), (40, 1), (300, 256)], alsoFreeFourth: false);
        }

        public SegregatedFitAllocator Allocator { get; } = new(1 << 16);

        public string Snapshot()
        {
            var ranges = new List<AddressRange>();
            Allocator.CopyFreeRanges(ranges);
            Allocator.CheckInvariants();
            return $"cap {Allocator.CapacityBytes} free {Allocator.FreeBytes} blocks {Allocator.FreeBlockCount}/{Allocator.UsedBlockCount} largest {Allocator.LargestFreeBlock} [{string.Join(",", ranges)}]";
        }
    }

    private static IHostileTable SegregatedFit()
    {
        var table = new HostileTable<SegregatedFitSubject>("SegregatedFitAllocator", () => new SegregatedFitSubject(), s => s.Snapshot());
        string sizeRule = $"must be between 1 and {Text(SegregatedFitAllocator.MaxCapacityBytes)}";
        string alignmentRule = $"power of two between 1 and {Text(SegregatedFitAllocator.MaxAlignmentBytes)}";
        RequestRows(table, "TryAllocate", (s, size, alignment) => s.Allocator.TryAllocate(size, alignment, out _), 16, 16, SegregatedFitAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", sizeRule, v => $"The alignment is {Text(v)}", alignmentRule);
        RequestRows(table, "Free", (s, size, alignment) => s.Allocator.Free(s.Live[0].Offset, size, alignment), 24, 8, SegregatedFitAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", sizeRule, v => $"The alignment is {Text(v)}", alignmentRule);
        RequestRows(table, "SufficientFreeBlockBytes", (s, size, alignment) => s.Allocator.SufficientFreeBlockBytes(size, alignment), 16, 16, SegregatedFitAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", sizeRule, v => $"The alignment is {Text(v)}", alignmentRule);
        foreach (long size in new[] { long.MaxValue, SegregatedFitAllocator.MaxCapacityBytes + 1 })
        {
            table.Throws<ArgumentOutOfRangeException>("TryAllocate", $"size {size} (above the largest capacity)", s => s.Allocator.TryAllocate(size, 1, out _), $"The size is {Text(size)}", sizeRule);
            table.Throws<ArgumentOutOfRangeException>("Free", $"size {size}: offset + size overflows", s => s.Allocator.Free(s.Live[0].Offset, size, 1), $"The size is {Text(size)}", sizeRule);
        }

        table.ReturnsFalse("TryAllocate", "size twice the capacity", s => s.Allocator.TryAllocate(2 << 16, 1, out _));
        foreach (long offset in new[] { -16L, -1, 8, 12_345, 1 << 16, long.MaxValue, long.MinValue })
        {
            table.Throws<ArgumentException>("Free", $"foreign offset {offset}", s => s.Allocator.Free(offset, 24, 8), $"Offset {Text(offset)}", "is not the start of a live allocation");
        }

        table.Throws<ArgumentException>("Free", "double free", s => s.Allocator.Free(s.Freed.Offset, s.Freed.Size, s.Freed.Alignment), "is not the start of a live allocation", "Offset");
        table.Throws<ArgumentException>("Free", "interior offset", s => s.Allocator.Free(s.Live[3].Offset + 16, 16, 1), "is not the start of a live allocation", "Offset");
        table.Throws<ArgumentException>("Free", "wrong size", s => s.Allocator.Free(s.Live[0].Offset, 100, 8), "Size 100 rounds to 112", "free must pass the size it allocated with");
        table.Throws<ArgumentException>("Free", "offset not a multiple of the stated alignment", s => s.Allocator.Free(s.Live[3].Offset, s.Live[3].Size, LowestMissingAlignment(s.Live[3].Offset)),
            "is not a multiple of alignment", "Offset");
        foreach (long bytes in new[] { 0L, -16, 8, 24 + 1, long.MaxValue, long.MinValue, SegregatedFitAllocator.MaxCapacityBytes })
        {
            table.Throws<ArgumentOutOfRangeException>("Grow", $"bytes {bytes}", s => s.Allocator.Grow(bytes), $"bytes is {Text(bytes)}", "positive multiple of 16");
        }

        table.Throws<ArgumentNullException>("CopyFreeRanges", "destination null", s => s.Allocator.CopyFreeRanges(null!), "destination", "cannot be null");
        foreach (long capacity in new[] { 0L, -16, 8, long.MaxValue, long.MinValue, SegregatedFitAllocator.MaxCapacityBytes + 16 })
        {
            table.Throws<ArgumentOutOfRangeException>(".ctor", $"capacity {capacity}", _ => new SegregatedFitAllocator(capacity), $"capacityBytes is {Text(capacity)}", "positive multiple of 16");
        }

        foreach (int bits in new[] { 0, 6, -1, int.MaxValue })
        {
            table.Throws<ArgumentOutOfRangeException>(".ctor", $"SecondLevelBits {bits}", _ => new SegregatedFitAllocator(1 << 16, new SegregatedFitOptions { SecondLevelBits = bits }),
                $"SecondLevelBits is {bits}", "between 1 and 5");
        }

        foreach (int records in new[] { 0, -1, (1 << 24) + 1 })
        {
            table.Throws<ArgumentOutOfRangeException>(".ctor", $"InitialBlockRecords {records}", _ => new SegregatedFitAllocator(1 << 16, new SegregatedFitOptions { InitialBlockRecords = records }),
                $"InitialBlockRecords is {records}", "between 1 and");
        }

        return table;
    }

    // ---- slots -------------------------------------------------------------------------------------------

    private sealed class SlotSubject
    {
        public static readonly SlotAffinity First = new(1, 0);

        public SlotSubject()
        {
            Assert.True(Pool.TryAllocate(First, out int a));
            Assert.True(Pool.TryAllocate(new SlotAffinity(2, 0), out int b));
            Assert.True(Pool.TryAllocate(null, out int c));
            Pool.Free(a, 4096);
            Pool.Free(c, 100);
            (Warm, Used) = (a, b);
        }

        public SlotAllocator Pool { get; } = new(capacity: 6, maxUnusedWarm: 2);

        public int Warm { get; }

        public int Used { get; }

        public string Snapshot()
        {
            Pool.CheckInvariants();
            string states = string.Join(",", Enumerable.Range(0, Pool.Capacity).Select(slot => Pool.GetSlotState(slot).ToString()));
            string affine = string.Join(";", Pool.GetAffinities().Select(key => $"{key}:[{string.Join(",", Pool.GetAffineList(key))}]"));
            return $"empty {Pool.EmptySlotCount} warm {Pool.UnusedWarmCount} bytes {Pool.UnusedBytesResident} isEmpty {Pool.IsEmpty} list [{string.Join(",", Pool.GetWarmList())}] affine {affine} states {states}";
        }
    }

    private static IHostileTable Slots()
    {
        var table = new HostileTable<SlotSubject>("SlotAllocator", () => new SlotSubject(), s => s.Snapshot());
        foreach (int slot in new[] { -1, 6, int.MaxValue, int.MinValue })
        {
            table.Throws<ArgumentOutOfRangeException>("Free", $"slot {slot}", s => s.Pool.Free(slot, 0), $"slot id {slot}", "must lie in 0..5");
            table.Throws<ArgumentOutOfRangeException>("GetSlotState", $"slot {slot}", s => s.Pool.GetSlotState(slot), $"slot id {slot}", "must lie in 0..5");
        }

        table.Throws<InvalidOperationException>("Free", "double free (a warm slot)", s => s.Pool.Free(s.Warm, 0), $"is UnusedWarm", "only a Used slot may be freed");
        table.Throws<InvalidOperationException>("Free", "a slot never handed out (cold)", s => s.Pool.Free(5, 0), "slot 5 is UnusedCold", "only a Used slot may be freed");
        foreach (long bytes in new[] { -1L, long.MinValue })
        {
            table.Throws<ArgumentOutOfRangeException>("Free", $"bytesResident {bytes}", s => s.Pool.Free(s.Used, bytes), $"bytesResident {Text(bytes)}", "must be >= 0");
        }

        table.Throws<ArgumentOutOfRangeException>("Free", "bytesResident long.MaxValue (the sum overflows)", s => s.Pool.Free(s.Used, long.MaxValue), "would overflow UnusedBytesResident 4196", "must be <=");
        table.ReturnsFalse("TryAllocateAffineAndClear", "a key with no warm slot", s => s.Pool.TryAllocateAffineAndClear(new SlotAffinity(99, 9), out _));
        foreach (int capacity in new[] { -1, int.MinValue, SlotAllocator.MaxCapacity + 1, int.MaxValue })
        {
            table.Throws<ArgumentOutOfRangeException>(".ctor", $"capacity {capacity}", _ => new SlotAllocator(capacity, 0), $"capacity {capacity}", $"must lie in 0..{SlotAllocator.MaxCapacity}");
            table.Throws<ArgumentOutOfRangeException>("CreateSimple", $"capacity {capacity}", _ => SlotAllocator.CreateSimple(capacity), $"capacity {capacity}", $"must lie in 0..{SlotAllocator.MaxCapacity}");
        }

        foreach (int threshold in new[] { -1, 7, int.MinValue, int.MaxValue })
        {
            table.Throws<ArgumentOutOfRangeException>(".ctor", $"maxUnusedWarm {threshold}", _ => new SlotAllocator(6, threshold), $"maxUnusedWarm {threshold}", "must lie in 0..6");
        }

        return table;
    }

    // ---- textbook ----------------------------------------------------------------------------------------

    private const string TextbookSizeRule = "it must be positive";

    private static readonly string s_textbookAlignmentRule = $"power of two between 1 and {Text(1L << 20)}";

    private sealed class BumpSubject : PopulatedSubject
    {
        public BumpSubject(bool tracked)
        {
            Allocator = new BumpAllocator(64, 64 + 4096, tracked);
            (Live, Freed) = Populate(Allocator, null, [(24, 8), (100, 64), (16, 16), (40, 8)], alsoFreeFourth: false);
        }

        public BumpAllocator Allocator { get; }

        public string Snapshot()
        {
            Allocator.CheckInvariants();
            return $"[{Allocator.StartOffset}, {Allocator.EndOffset}) next {Allocator.Next} live {Allocator.LiveCount}";
        }
    }

    private static IHostileTable Bump(bool tracked)
    {
        var table = new HostileTable<BumpSubject>($"BumpAllocator ({(tracked ? "tracked" : "untracked")})", () => new BumpSubject(tracked), s => s.Snapshot());
        RequestRows(table, "TryAllocate", (s, size, alignment) => s.Allocator.TryAllocate(size, alignment, out _), 16, 16, BumpAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", TextbookSizeRule, v => $"The alignment is {Text(v)}", s_textbookAlignmentRule);
        RequestRows(table, "Free", (s, size, alignment) => s.Allocator.Free(s.Live[0].Offset, size, alignment), 24, 8, BumpAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", TextbookSizeRule, v => $"The alignment is {Text(v)}", s_textbookAlignmentRule);
        table.ReturnsFalse("TryAllocate", "size long.MaxValue", s => s.Allocator.TryAllocate(long.MaxValue, 1, out _));
        table.ReturnsFalse("TryAllocate", "alignment 1 MiB past the end", s => s.Allocator.TryAllocate(8, 1 << 20, out _));
        foreach (long offset in new[] { 0L, -8, 63, long.MinValue, 64 + 4096, long.MaxValue })
        {
            table.Throws<ArgumentException>("Free", $"offset {offset} (outside [start, next))", s => s.Allocator.Free(offset, 8, 1), $"offset {Text(offset)}", "must lie inside the allocated part");
        }

        table.Throws<ArgumentException>("Free", "offset + size overflows", s => s.Allocator.Free(s.Live[0].Offset, long.MaxValue, 1), Text(long.MaxValue), "must lie inside the allocated part");
        table.Throws<ArgumentException>("Free", "offset not a multiple of the stated alignment", s => s.Allocator.Free(s.Live[1].Offset, s.Live[1].Size, LowestMissingAlignment(s.Live[1].Offset)),
            "is not a multiple of alignment", "Offset");
        if (tracked)
        {
            table.Throws<ArgumentException>("Free", "double free", s => s.Allocator.Free(s.Freed.Offset, s.Freed.Size, s.Freed.Alignment), "is not the start of a live allocation", "Offset");
            table.Throws<ArgumentException>("Free", "interior offset", s => s.Allocator.Free(s.Live[0].Offset + 8, 8, 8), "is not the start of a live allocation", "Offset");
            table.Throws<ArgumentException>("Free", "wrong size", s => s.Allocator.Free(s.Live[0].Offset, 16, 8), "Size 16 differs from the size 24", "allocated at offset");
        }

        foreach (long start in new[] { -1L, long.MinValue })
        {
            table.Throws<ArgumentOutOfRangeException>(".ctor", $"start {start}", _ => new BumpAllocator(start, 100), "startOffset", "non-negative");
        }

        table.Throws<ArgumentOutOfRangeException>(".ctor", "end below start", _ => new BumpAllocator(100, 99), "The end offset 99", "must be at least the start offset 100");
        return table;
    }

    private sealed class LinkedListSubject : PopulatedSubject
    {
        public LinkedListSubject(bool checkFrees)
        {
            Memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
            Allocator = new LinkedListAllocator(Memory, checkFrees);
            // First fit with no merging: 0, 64 (after an alignment gap), 168, 200, 240; freeing 64 and 200 pushes both.
            (Live, Freed) = Populate(Allocator, Memory, [(24, 8), (100, 64), (32, 8), (40, 8), (64, 8)], alsoFreeFourth: true);
        }

        public SlabLinearMemory Memory { get; }

        public LinkedListAllocator Allocator { get; }

        public string Snapshot()
        {
            var regions = new List<AddressRange>();
            Allocator.CopyFreeRegions(regions);
            Allocator.CheckInvariants();
            return $"head {Allocator.HeadOffset} free {Allocator.FreeBytes} live {Allocator.LiveBytes} [{string.Join(",", regions)}] {Hash(Memory)}";
        }
    }

    private static IHostileTable LinkedList(bool checkFrees)
    {
        var table = new HostileTable<LinkedListSubject>($"LinkedListAllocator ({(checkFrees ? "checked frees" : "unchecked frees")})", () => new LinkedListSubject(checkFrees), s => s.Snapshot());
        RequestRows(table, "TryAllocate", (s, size, alignment) => s.Allocator.TryAllocate(size, alignment, out _), 16, 16, LinkedListAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", TextbookSizeRule, v => $"The alignment is {Text(v)}", s_textbookAlignmentRule);
        RequestRows(table, "Free", (s, size, alignment) => s.Allocator.Free(s.Live[0].Offset, size, alignment), 24, 8, LinkedListAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", TextbookSizeRule, v => $"The alignment is {Text(v)}", s_textbookAlignmentRule);
        table.ReturnsFalse("TryAllocate", "size above the memory", s => s.Allocator.TryAllocate(Page + 1, 1, out _));
        table.ReturnsFalse("TryAllocate", "size long.MaxValue", s => s.Allocator.TryAllocate(long.MaxValue, 1, out _));
        foreach ((long offset, long size) in new (long, long)[] { (-16, 16), (long.MinValue, 16), (Page - 8, 16), (Page, 16), (long.MaxValue, 16), (64, long.MaxValue), (8, Page) })
        {
            table.Throws<ArgumentException>("Free", $"range at {offset} of size {size} outside the memory", s => s.Allocator.Free(offset, size, 1),
                $"offset {Text(offset)} of size {Text(size)}", "must lie inside the managed memory");
        }

        table.Throws<ArgumentException>("Free", "misaligned offset", s => s.Allocator.Free(s.Live[0].Offset + 4, 16, 1), "is not a multiple of alignment 8", "Offset");
        table.Throws<ArgumentException>("Free", "offset not a multiple of the stated alignment", s => s.Allocator.Free(s.Live[1].Offset, s.Live[1].Size, LowestMissingAlignment(s.Live[1].Offset)),
            "is not a multiple of alignment", "Offset");
        if (checkFrees)
        {
            table.Throws<ArgumentException>("Free", "double free", s => s.Allocator.Free(s.Freed.Offset, s.Freed.Size, s.Freed.Alignment), "overlaps the free region", "double free?");
            table.Throws<ArgumentException>("Free", "foreign offset (inside free memory)", s => s.Allocator.Free(Page - 64, 16, 1), "overlaps the free region", $"[{Text(Page - 64)}, ");
            table.Throws<ArgumentException>("Free", "interior offset of a live block", s => s.Allocator.Free(s.Live[2].Offset + 16, 16, 1), "is not the start of a live allocation", "Offset");
            table.Throws<ArgumentException>("Free", "wrong size", s => s.Allocator.Free(s.Live[0].Offset, 16, 8), "Size 16 occupies 16 bytes", "occupies 24: free must pass the size");
        }

        foreach (long size in new[] { 0L, -1, long.MinValue, long.MaxValue })
        {
            table.Throws<ArgumentOutOfRangeException>("FullSize", $"size {size}", _ => LinkedListAllocator.FullSize(size), $"The size is {Text(size)}", "must be positive and at most");
        }

        table.Throws<ArgumentNullException>("CopyFreeRegions", "destination null", s => s.Allocator.CopyFreeRegions(null!), "destination", "cannot be null");
        table.Throws<ArgumentNullException>(".ctor", "memory null", _ => new LinkedListAllocator(null!), "memory", "cannot be null");
        return table;
    }

    private sealed class FixedSizeSubject
    {
        public FixedSizeSubject()
        {
            Memory = new SlabLinearMemory(maxPages: 2, initialPages: 2);
            Fallback = new SegregatedFitAllocator(Memory.SizeBytes);
            Allocator = new FixedSizeBlockAllocator(Fallback, Memory);
            Assert.True(Allocator.TryAllocate(24, 8, out long listed));
            Assert.True(Allocator.TryAllocate(64, 64, out long class64));
            Assert.True(Allocator.TryAllocate(16, 1, out long class16));
            Assert.True(Allocator.TryAllocate(100, 1, out long class128));
            Assert.True(Allocator.TryAllocate(3000, 8, out long large));
            Allocator.Free(listed, 24, 8);
            (Listed, Class64, Class16, Class128, Large) = (listed, class64, class16, class128, large);
        }

        public SlabLinearMemory Memory { get; }

        public SegregatedFitAllocator Fallback { get; }

        public FixedSizeBlockAllocator Allocator { get; }

        public long Listed { get; }

        public long Class64 { get; }

        public long Class16 { get; }

        public long Class128 { get; }

        public long Large { get; }

        public string Snapshot()
        {
            Allocator.CheckInvariants();
            var ranges = new List<AddressRange>();
            Fallback.CopyFreeRanges(ranges);
            string classes = string.Join(",", Enumerable.Range(0, FixedSizeBlockAllocator.ClassCount)
                .Select(i => FixedSizeBlockAllocator.SmallestClassBytes << i)
                .Select(c => $"{c}:{Allocator.FreeBlocksInClass(c)}@{Allocator.ClassHead(c)}"));
            return $"{classes} owned {Allocator.OwnedBlockCount} fallback {Fallback.FreeBytes}/{Fallback.UsedBlockCount} [{string.Join(",", ranges)}] {Hash(Memory)}";
        }
    }

    private static IHostileTable FixedSizeBlocks()
    {
        var table = new HostileTable<FixedSizeSubject>("FixedSizeBlockAllocator (segregated-fit fallback)", () => new FixedSizeSubject(), s => s.Snapshot());
        RequestRows(table, "TryAllocate", (s, size, alignment) => s.Allocator.TryAllocate(size, alignment, out _), 16, 16, FixedSizeBlockAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", TextbookSizeRule, v => $"The alignment is {Text(v)}", s_textbookAlignmentRule);
        RequestRows(table, "Free", (s, size, alignment) => s.Allocator.Free(s.Class16, size, alignment), 16, 1, FixedSizeBlockAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", TextbookSizeRule, v => $"The alignment is {Text(v)}", s_textbookAlignmentRule);
        RequestRows(table, "ClassBytesFor", (_, size, alignment) => FixedSizeBlockAllocator.ClassBytesFor(size, alignment), 16, 16, FixedSizeBlockAllocator.MaxAlignmentBytes,
            v => $"The size is {Text(v)}", TextbookSizeRule, v => $"The alignment is {Text(v)}", s_textbookAlignmentRule);
        table.ReturnsFalse("TryAllocate", "size 2^40 (forwarded; the fallback is out of room)", s => s.Allocator.TryAllocate(1L << 40, 1, out _));
        foreach (long offset in new[] { -16L, long.MinValue, 2 * Page, 2 * Page - 8, long.MaxValue })
        {
            table.Throws<ArgumentException>("Free", $"offset {offset} (outside the memory)", s => s.Allocator.Free(offset, 16, 1), $"offset {Text(offset)}", "must lie inside the memory");
        }

        table.Throws<ArgumentException>("Free", "offset not a multiple of the class", s => s.Allocator.Free(s.Class16 + 8, 16, 1), "is not a multiple of its class size 16", "Offset");
        table.Throws<ArgumentException>("Free", "foreign block (never handed out)", s => s.Allocator.Free(Page, 64, 64), "Offset 65536", "is not a 64-byte block this allocator handed out");
        table.Throws<ArgumentException>("Free", "interior block of a live class block", s => s.Allocator.Free(s.Class64 + 32, 32, 32), "is not a 32-byte block this allocator handed out", "foreign or interior");
        table.Throws<ArgumentException>("Free", "wrong but aligned class (smaller)", s => s.Allocator.Free(s.Class64, 32, 32), "names class 32", "was handed out as a 64-byte class block");
        table.Throws<ArgumentException>("Free", "wrong class (larger)", s => s.Allocator.Free(s.Class128, 64, 64), "names class 64", "was handed out as a 128-byte class block");
        table.Throws<ArgumentException>("Free", "a large free naming a class block", s => s.Allocator.Free(s.Class64, 5000, 1), "names a request above the largest class", "was handed out as a 64-byte class block");
        table.Throws<ArgumentException>("Free", "double free", s => s.Allocator.Free(s.Listed, 24, 8), "is already on its class list", "double free");
        table.Throws<ArgumentException>("Free", "a large free of a block never allocated", s => s.Allocator.Free(s.Large + 4096, 3000, 8), "is not the start of a live allocation", "Offset");
        table.Throws<ArgumentException>("Free", "a large free with the wrong size", s => s.Allocator.Free(s.Large, 5000, 8), "Size 5000 rounds to 5008", "free must pass the size it allocated with");
        foreach (long classBytes in new[] { 0L, -8, 4, 24, 4096, long.MinValue, long.MaxValue })
        {
            table.Throws<ArgumentOutOfRangeException>("FreeBlocksInClass", $"class {classBytes}", s => s.Allocator.FreeBlocksInClass(classBytes), $"The class size is {Text(classBytes)}", "power of two between 8 and 2048");
            table.Throws<ArgumentOutOfRangeException>("ClassHead", $"class {classBytes}", s => s.Allocator.ClassHead(classBytes), $"The class size is {Text(classBytes)}", "power of two between 8 and 2048");
        }

        table.Throws<ArgumentNullException>(".ctor", "fallback null", s => new FixedSizeBlockAllocator(null!, s.Memory), "fallback", "cannot be null");
        table.Throws<ArgumentNullException>(".ctor", "memory null", s => new FixedSizeBlockAllocator(s.Fallback, null!), "memory", "cannot be null");
        return table;
    }

    // ---- lands -------------------------------------------------------------------------------------------

    private sealed class LandSubject
    {
        public LandSubject(string kind)
        {
            if (kind == nameof(FreeListLand))
            {
                Memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
                Land = new FreeListLand(Memory);
            }
            else
            {
                Land = new TreeLand(8, new AddressRange(0, Page));
            }

            Land.Insert(new AddressRange(0x10, 0x20));
            Land.Insert(new AddressRange(0x40, 0x8));
            Land.Insert(new AddressRange(0x80, 0x40));
        }

        public SlabLinearMemory? Memory { get; }

        public ILand Land { get; }

        public string Snapshot()
        {
            Land.CheckInvariants();
            string hint = Land is FreeListLand list ? $" hint {list.MaxSizeHint}" : string.Empty;
            return $"total {Land.TotalSize} count {Land.RangeCount}{hint} [{string.Join(",", Land.ToRangeList())}] {(Memory is null ? "-" : Hash(Memory))}";
        }
    }

    private static IHostileTable Land(string kind)
    {
        var table = new HostileTable<LandSubject>(kind, () => new LandSubject(kind), s => s.Snapshot());
        (long Start, long Size, string Words, string Rule)[] badRanges =
        [
            (0x200, 0, "has size 0", "at least one grain"),
            (0x200, -8, "has size -8", "at least one grain"),
            (0x200, long.MinValue, $"has size {Text(long.MinValue)}", "at least one grain"),
            (0x204, 8, "starts at 0x204", "multiples of the grain"),
            (0x200, 12, "with size 12", "multiples of the grain"),
            (-8, 8, "starts at 0xfffffffffffffff8", "inside the land's bounds"),
            (long.MinValue, 8, "starts at 0x8000000000000000", "inside the land's bounds"),
            (Page, 8, $"starts at 0x{Page:x}", "inside the land's bounds"),
            (Page - 8, 16, $"starts at 0x{Page - 8:x}", "inside the land's bounds"),
            (long.MaxValue - 7, 16, "starts at 0x7ffffffffffffff8", "inside the land's bounds"),
            (0x200, long.MaxValue - 7, "starts at 0x200 with size 9223372036854775800", "inside the land's bounds"),
        ];
        foreach ((long start, long size, string words, string rule) in badRanges)
        {
            var range = new AddressRange(start, size);
            table.Throws<ArgumentOutOfRangeException>("Insert", $"range ({start}, {size})", s => s.Land.Insert(range), words, rule);
            table.Throws<ArgumentOutOfRangeException>("Delete", $"range ({start}, {size})", s => s.Land.Delete(range), words, rule);
            table.ReturnsFalse("CanInsert", $"range ({start}, {size})", s => s.Land.CanInsert(range));
            table.ReturnsFalse("CanDelete", $"range ({start}, {size})", s => s.Land.CanDelete(range));
        }

        foreach (AddressRange overlap in new[] { new AddressRange(0x20, 0x8), new AddressRange(0x8, 0x10), new AddressRange(0x0, 0x100), new AddressRange(0x40, 0x8) })
        {
            table.Throws<ArgumentException>("Insert", $"overlapping {overlap}", s => s.Land.Insert(overlap), $"The range {overlap} overlaps the stored range", "only where nothing is stored");
            table.ReturnsFalse("CanInsert", $"overlapping {overlap}", s => s.Land.CanInsert(overlap));
        }

        foreach (AddressRange outside in new[] { new AddressRange(0x30, 0x8), new AddressRange(0x28, 0x10), new AddressRange(0x10, 0x38), new AddressRange(0x200, 0x8) })
        {
            table.Throws<ArgumentException>("Delete", $"not contained {outside}", s => s.Land.Delete(outside), $"The range {outside} does not lie wholly inside one stored range", "only stored bytes can be deleted");
            table.ReturnsFalse("CanDelete", $"not contained {outside}", s => s.Land.CanDelete(outside));
        }

        (string Name, Func<ILand, long, FindDelete, bool> Find)[] finds =
        [
            ("TryFindFirst", (land, size, delete) => land.TryFindFirst(size, delete, out _)),
            ("TryFindLast", (land, size, delete) => land.TryFindLast(size, delete, out _)),
            ("TryFindLargest", (land, size, delete) => land.TryFindLargest(size, delete, out _)),
        ];
        foreach ((string name, Func<ILand, long, FindDelete, bool> find) in finds)
        {
            foreach (long size in new[] { 0L, -8, 12, long.MinValue, long.MaxValue })
            {
                table.Throws<ArgumentOutOfRangeException>(name, $"size {size}", s => find(s.Land, size, FindDelete.Low), Text(size), "positive multiple of the grain");
            }

            foreach (FindDelete delete in new[] { (FindDelete)(-1), (FindDelete)4, (FindDelete)int.MaxValue })
            {
                table.Throws<ArgumentOutOfRangeException>(name, $"delete {(int)delete}", s => find(s.Land, 8, delete), ((int)delete).ToString(System.Globalization.CultureInfo.InvariantCulture), "one of None, Low, High, Entire");
            }

            table.ReturnsFalse(name, "a size larger than every range", s => find(s.Land, 0x48, FindDelete.Entire));
        }

        table.Throws<ArgumentException>("FlushTo", "itself", s => s.Land.FlushTo(s.Land), "cannot be flushed into itself", "must be another land");
        table.Throws<ArgumentNullException>("FlushTo", "null", s => s.Land.FlushTo(null!), "target", "cannot be null");
        table.Throws<ArgumentException>("FlushTo", "a land holding an overlapping range", s =>
        {
            var target = new TreeLand(8, new AddressRange(0, Page));
            target.Insert(new AddressRange(0x18, 0x8));
            s.Land.FlushTo(target);
        }, "[0x10, 0x30)", "it overlaps a target range");
        table.Throws<ArgumentException>("FlushTo", "a land whose bounds exclude a range", s => s.Land.FlushTo(new TreeLand(8, new AddressRange(0, 0x40))), "[0x40, 0x48)", "lies outside the target's bounds");
        table.Throws<ArgumentNullException>("CopyRangesTo", "destination null", s => s.Land.CopyRangesTo(null!), "destination", "cannot be null");
        table.Throws<ArgumentNullException>("CopyRangesTo", "land null", _ => LandExtensions.CopyRangesTo(null!, []), "land", "cannot be null");
        table.Throws<ArgumentNullException>("ToRangeList", "land null", _ => LandExtensions.ToRangeList(null!), "land", "cannot be null");
        if (kind == nameof(FreeListLand))
        {
            table.Throws<ArgumentNullException>(".ctor", "memory null", _ => new FreeListLand(null!), "memory", "cannot be null");
        }
        else
        {
            foreach (long grain in new[] { 0L, -8, 3, 24, long.MinValue })
            {
                table.Throws<ArgumentOutOfRangeException>(".ctor", $"grain {grain}", _ => new TreeLand(grain), Text(grain), "positive power of two");
            }

            foreach (AddressRange bounds in new[] { new AddressRange(-8, 64), new AddressRange(4, 64), new AddressRange(0, 60), new AddressRange(0, -8), new AddressRange(8, long.MaxValue - 7) })
            {
                table.Throws<ArgumentOutOfRangeException>(".ctor", $"bounds {bounds}", _ => new TreeLand(8, bounds), bounds.ToString(), "multiples of the grain");
            }
        }

        return table;
    }

    // ---- memory backings ---------------------------------------------------------------------------------

    private static ILinearMemory CreateMemory(string backing, int maxPages, int initialPages) => backing switch
    {
        "slab" => new SlabLinearMemory(maxPages, initialPages),
        "native" => new NativeLinearMemory(maxPages, initialPages),
        _ => new FaultInjectingMemory(new SlabLinearMemory(maxPages, initialPages)),
    };

    private static IHostileTable Memory(string backing)
    {
        var table = new HostileTable<ILinearMemory>($"{backing} memory", () =>
        {
            ILinearMemory memory = CreateMemory(backing, maxPages: 3, initialPages: 2);
            memory.GetSpan(0, (int)memory.SizeBytes).Fill(0x6B);
            return memory;
        }, m => $"{m.PageCount} {m.SizeBytes} {Hash(m)}");
        long size = 2 * Page;
        foreach (int pages in new[] { -1, int.MinValue })
        {
            table.Throws<ArgumentOutOfRangeException>("TryGrow", $"pages {pages}", m => m.TryGrow(pages, out _), Text(pages), "non-negative");
        }

        foreach (int pages in new[] { 2, int.MaxValue })
        {
            table.ReturnsFalse("TryGrow", $"pages {pages} (past the limit)", m => m.TryGrow(pages, out _));
        }

        (long Offset, int Length)[] badSpans = [(-1, 1), (long.MinValue, 8), (0, -1), (0, int.MinValue), (size, 1), (size - 1, 2), (long.MaxValue, 1), (long.MaxValue - 1, 2), (8, (int)size)];
        foreach ((long offset, int length) in badSpans)
        {
            table.Throws<ArgumentOutOfRangeException>("GetSpan", $"[{offset}, +{length})", m => m.GetSpan(offset, length), $"[{Text(offset)}, {Text(offset)} + {length})", "must lie inside the memory");
        }

        foreach (long offset in new[] { -8L, long.MinValue, size, size - 4, long.MaxValue, long.MaxValue - 7, 4, 1 })
        {
            string rule = (offset & 7) != 0 ? "must be a multiple of 8" : "must lie inside the memory";
            table.Throws<ArgumentOutOfRangeException>("ReadWord", $"offset {offset}", m => m.ReadWord(offset), Text(offset), rule);
            table.Throws<ArgumentOutOfRangeException>("WriteWord", $"offset {offset}", m => m.WriteWord(offset, -1), Text(offset), rule);
        }

        foreach ((int maxPages, int initialPages, string name) in new[] { (-1, 0, "maxPages"), (int.MinValue, 0, "maxPages"), (int.MaxValue, 0, "maxPages"), (2, 3, "initialPages"), (2, -1, "initialPages") })
        {
            table.Throws<ArgumentOutOfRangeException>(".ctor", $"maxPages {maxPages}, initialPages {initialPages}", _ => _ = CreateMemory(backing, maxPages, initialPages), name,
                maxPages < 0 || initialPages < 0 ? "non-negative" : "less than or equal to");
        }

        return table;
    }

    private static IHostileTable FaultInjection()
    {
        var table = new HostileTable<FaultInjectingMemory>("FaultInjectingMemory controls", () => new FaultInjectingMemory(new SlabLinearMemory(2, 1)),
            m => $"{m.PageCount} attempts {m.GrowthAttempts} injected {m.InjectedFailures}");
        foreach (int count in new[] { -1, int.MinValue })
        {
            table.Throws<ArgumentOutOfRangeException>("FailNextGrowths", $"count {count}", m => m.FailNextGrowths(count), Text(count), "non-negative");
        }

        foreach (long attempt in new[] { -1L, long.MinValue })
        {
            table.Throws<ArgumentOutOfRangeException>("FailGrowthsFrom", $"attempt {attempt}", m => m.FailGrowthsFrom(attempt), Text(attempt), "non-negative");
        }

        table.Throws<ArgumentNullException>(".ctor", "inner null", _ => new FaultInjectingMemory(null!), "inner", "cannot be null");
        return table;
    }

    private static IHostileTable NativeAfterDispose()
    {
        var table = new HostileTable<NativeLinearMemory>("native memory after Dispose", () =>
        {
            var memory = new NativeLinearMemory(maxPages: 2, initialPages: 1);
            memory.Dispose();
            return memory;
        }, m => $"disposed, second Dispose is a no-op: {DisposeAgain(m)}");
        table.Throws<ObjectDisposedException>("TryGrow", "use after dispose", m => m.TryGrow(1, out _), "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("GetSpan", "use after dispose", m => m.GetSpan(0, 8), "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("ReadWord", "use after dispose", m => m.ReadWord(0), "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("WriteWord", "use after dispose", m => m.WriteWord(0, 1), "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("PageCount", "use after dispose", m => _ = m.PageCount, "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("SizeBytes", "use after dispose", m => _ = m.SizeBytes, "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("MaxPages", "use after dispose", m => _ = m.MaxPages, "disposed object", nameof(NativeLinearMemory));
        table.Throws<ObjectDisposedException>("BaseAddress", "use after dispose", m => _ = m.BaseAddress, "disposed object", nameof(NativeLinearMemory));
        return table;
    }

    private static bool DisposeAgain(NativeLinearMemory memory)
    {
        memory.Dispose();
        return true;
    }
}
