using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;

namespace Veralloc.Bench.Replay;

/// <summary>One allocator the harness can build by name.</summary>
/// <param name="Name">The command-line name.</param>
/// <param name="Description">One line for tables and help.</param>
/// <param name="LinearPerOp">True when allocation/free cost grows with the number of free blocks, so big traces are capped for it.</param>
/// <param name="Create">Builds a fresh, empty subject.</param>
public sealed record AllocatorEntry(string Name, string Description, bool LinearPerOp, Func<ReplaySubject> Create);

/// <summary>
/// Names → factories for every allocator the harness replays against. Every factory gives a fresh, empty allocator
/// with room for the shared traces (lolfuzz peaks at a few tens of MiB live).
/// </summary>
public static class AllocatorRegistry
{
    /// <summary>
    /// Address space given to allocators that need one: 16,384 pages = 1 GiB. For the free list it is a
    /// <see cref="NativeLinearMemory"/> reservation (the OS commits pages only when touched, so the unused part costs
    /// nothing); for segregated fit it is just the capacity number (its metadata is external).
    /// </summary>
    public const int ReservationPages = 16 * 1024;

    /// <summary>Bytes of <see cref="ReservationPages"/>.</summary>
    public const long ReservationBytes = (long)ReservationPages * LinearMemory.PageBytes;

    /// <summary>The process allocator, the baseline every ratio is taken against.</summary>
    public const string Native = "native";

    /// <summary>The SEED §1 free list.</summary>
    public const string FreeList = "freelist";

    /// <summary>The segregated-fit allocator with its default policy.</summary>
    public const string SegregatedFit = "segfit";

    /// <summary>The segregated-fit allocator with the opt-in front cache (<see cref="SegregatedFitOptions.FrontCacheDepth"/>).</summary>
    public const string SegregatedFitCached = "segfit-cached";

    /// <summary>
    /// The front-cache depth of <see cref="SegregatedFitCached"/>: glibc's tcache parks 7 blocks per size; 16 halves
    /// the chance that a random size finds its list empty in a steady free/allocate mix (docs/design-notes/0052).
    /// </summary>
    public const int SegregatedFitCacheDepth = 16;

    /// <summary>The registered allocators, in table order.</summary>
    public static IReadOnlyList<AllocatorEntry> All { get; } =
    [
        new(Native, "NativeMemory.AlignedAlloc/AlignedFree (process allocator)", false, CreateNative),
        new(FreeList, "address-ordered free list, SEED §1 (unchecked mode)", true, CreateFreeList),
        new(SegregatedFit, "two-level segregated fit, external metadata", false, CreateSegregatedFit),
        new(SegregatedFitCached, "segregated fit with a front cache of freed blocks (opt-in policy)", false, CreateSegregatedFitCached),
        new("linkedlist", "textbook unsorted linked list, first fit, no merging (256 MiB fixed heap)", true, CreateLinkedList),
        new("bump", "textbook bump, reuses memory only when everything is freed", false, CreateBump),
        new("fixedblock", "textbook size classes 8..2048 over a segfit fallback (256 MiB)", false, CreateFixedBlock),
    ];

    /// <summary>
    /// Pages given up front to allocators that never grow their memory (linked list, fixed blocks): 4,096 = 256 MiB.
    /// Growing a <see cref="NativeLinearMemory"/> zeroes (touches) the pages, so this is smaller than
    /// <see cref="ReservationPages"/>.
    /// </summary>
    public const int FixedHeapPages = 4 * 1024;

    /// <summary>Finds an allocator by name (case-insensitive).</summary>
    /// <returns>The entry, or null.</returns>
    public static AllocatorEntry? Find(string name) =>
        All.FirstOrDefault(entry => string.Equals(entry.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Largest free block, free bytes and count from a list of free ranges.</summary>
    public static FreeSpaceSnapshot Summarize(long heapBytes, IReadOnlyList<AddressRange> freeBlocks)
    {
        ArgumentNullException.ThrowIfNull(freeBlocks);
        long free = 0, largest = 0, tail = 0, largestInterior = 0;
        foreach (AddressRange block in freeBlocks)
        {
            free += block.Size;
            largest = Math.Max(largest, block.Size);
            if (block.End == heapBytes)
            {
                tail = block.Size;
            }
            else
            {
                largestInterior = Math.Max(largestInterior, block.Size);
            }
        }

        return new FreeSpaceSnapshot(heapBytes, free, freeBlocks.Count, largest, tail, largestInterior);
    }

    /// <summary>The free list over a fresh 1 GiB native reservation.</summary>
    /// <param name="options">Null for unchecked mode.</param>
    public static ReplaySubject CreateFreeList(FreeListOptions? options)
    {
        var memory = new NativeLinearMemory(ReservationPages);
        var allocator = new FreeListAllocator(memory, options);
        return new ReplaySubject(FreeList, allocator,
            () => FreeListEmptinessProblem(allocator),
            () => Summarize(allocator.HeapBytes, allocator.GetFreeBlocks()),
            memory);
    }

    /// <summary>SEED §1's end state: after every allocation is freed the list is one block covering the heap (or the heap is empty).</summary>
    /// <returns>Null when that holds, else what the list looks like.</returns>
    public static string? FreeListEmptinessProblem(FreeListAllocator allocator)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        IReadOnlyList<AddressRange> blocks = allocator.GetFreeBlocks();
        if (allocator.HeapBytes == 0 && blocks.Count == 0)
        {
            return null;
        }

        return blocks.Count == 1 && blocks[0].Start == 0 && blocks[0].Size == allocator.HeapBytes
            ? null
            : $"{blocks.Count} free blocks holding {allocator.FreeBytes} of {allocator.HeapBytes} heap bytes (expected one block [0, {allocator.HeapBytes}))";
    }

    private static ReplaySubject CreateFreeList() => CreateFreeList(null);

    private static ReplaySubject CreateNative()
    {
        var allocator = new NativeMemoryAllocator();
        return new ReplaySubject(Native, allocator,
            () => allocator.LiveBlocks == 0 ? null : $"{allocator.LiveBlocks} blocks still live");
    }

    private static NativeLinearMemory GrownMemory(int pages)
    {
        var memory = new NativeLinearMemory(pages);
        if (!memory.TryGrow(pages, out _))
        {
            memory.Dispose();
            throw new InvalidOperationException($"Cannot grow a fresh {pages}-page native memory to its reservation.");
        }

        return memory;
    }

    private static ReplaySubject CreateLinkedList()
    {
        NativeLinearMemory memory = GrownMemory(FixedHeapPages);
        var allocator = new LinkedListAllocator(memory);
        return new ReplaySubject("linkedlist", allocator,
            () => allocator.LiveBytes == 0 && allocator.FreeBytes == allocator.ManagedBytes
                ? null
                : $"{allocator.LiveBytes} live bytes, {allocator.FreeBytes} of {allocator.ManagedBytes} bytes free",
            () =>
            {
                var regions = new List<AddressRange>();
                allocator.CopyFreeRegions(regions);
                return Summarize(allocator.ManagedBytes, regions);
            },
            memory);
    }

    private static ReplaySubject CreateBump()
    {
        var allocator = new BumpAllocator(0, ReservationBytes);
        return new ReplaySubject("bump", allocator,
            () => allocator.LiveCount == 0 && allocator.Next == allocator.StartOffset
                ? null
                : $"{allocator.LiveCount} live allocations, cursor at {allocator.Next}");
    }

    private static ReplaySubject CreateFixedBlock()
    {
        NativeLinearMemory memory = GrownMemory(FixedHeapPages);
        var fallback = new SegregatedFitAllocator(memory.SizeBytes);
        var allocator = new FixedSizeBlockAllocator(fallback, memory);
        return new ReplaySubject("fixedblock", allocator,
            () =>
            {
                // Class blocks never go back to the fallback, so "empty" means: every block the fallback still has
                // in use sits in some class list.
                long parked = 0;
                for (long classBytes = FixedSizeBlockAllocator.SmallestClassBytes; classBytes <= FixedSizeBlockAllocator.LargestClassBytes; classBytes *= 2)
                {
                    parked += allocator.FreeBlocksInClass(classBytes);
                }

                return fallback.UsedBlockCount == parked
                    ? null
                    : $"the fallback has {fallback.UsedBlockCount} blocks in use but only {parked} are parked in class lists";
            },
            owned: memory);
    }

    private static ReplaySubject CreateSegregatedFit() => CreateSegregatedFit(SegregatedFit, new SegregatedFitOptions());

    private static ReplaySubject CreateSegregatedFitCached() =>
        CreateSegregatedFit(SegregatedFitCached, new SegregatedFitOptions { FrontCacheDepth = SegregatedFitCacheDepth });

    private static ReplaySubject CreateSegregatedFit(string name, SegregatedFitOptions options)
    {
        var allocator = new SegregatedFitAllocator(ReservationBytes, options);
        return new ReplaySubject(name, allocator,
            () =>
            {
                // Parked blocks are free but uncoalesced: the end state is checked as the default policy would leave it.
                allocator.FlushFrontCache();
                return allocator.UsedBlockCount == 0 && allocator.FreeBlockCount == 1 && allocator.FreeBytes == allocator.CapacityBytes
                    ? null
                    : $"{allocator.UsedBlockCount} used blocks, {allocator.FreeBlockCount} free blocks, {allocator.FreeBytes} of {allocator.CapacityBytes} bytes free";
            },
            () =>
            {
                var ranges = new List<AddressRange>();
                allocator.CopyFreeRanges(ranges);
                return Summarize(allocator.CapacityBytes, ranges);
            });
    }
}
