using System.Globalization;
using System.Text;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Fuzz;

/// <summary>
/// Operation sequences on <see cref="FreeListAllocator"/> over a small <see cref="SlabLinearMemory"/>. The first two
/// bytes choose the options (checked mode, exact fit at the heap base) and the memory's page limit; then each
/// operation is an opcode byte and its arguments: allocate (sizes from 1 byte to past the heap, and bad sizes and
/// alignments), free a live block, a bad free (outside the heap, misaligned, past the heap, and in checked mode
/// interior, double and wrong-size frees), rewrite a live block's bytes, or compare the free blocks with the model.
/// </summary>
/// <remarks>
/// After every operation: <see cref="FreeListAllocator.CheckInvariants"/>, free plus reserved bytes equal the heap,
/// no two live blocks overlap and no free block overlaps a live one, and every live block's bytes are still the ones
/// written into it. A rejected call must throw an <see cref="ArgumentException"/> and leave the free list as it was.
/// Not covered: unchecked-mode frees the contract says it cannot detect (interior, wrong-size, ABA double frees), and
/// corrupted free nodes (the reliability matrices' job).
/// </remarks>
public static class FreeListTarget
{
    private const int MaxOperations = 4096;

    private static readonly long[] BadSizes = [0, -1, long.MinValue, long.MaxValue, long.MaxValue - 14];
    private static readonly long[] HugeSizes = [1L << 20, 1L << 31, 1L << 40, long.MaxValue - 15];

    /// <summary>Runs one input.</summary>
    /// <param name="bytes">The encoded options and operations.</param>
    public static void Run(ReadOnlySpan<byte> bytes)
    {
        var input = new FuzzInput(bytes);
        byte flags = input.Byte();
        int maxPages = 1 + (input.Byte() % 4);
        var options = new FreeListOptions { CheckedMode = (flags & 1) != 0, ExactFitAtHeapBase = (flags & 2) != 0 };
        var memory = new SlabLinearMemory(maxPages);
        var heap = new FreeListAllocator(memory, options);
        var live = new LiveBlocks();
        var freed = new List<LiveBlock>();
        byte nextFill = 1;

        for (int step = 0; step < MaxOperations && !input.IsExhausted; step++)
        {
            switch (input.Byte() % 8)
            {
                case 0:
                case 1:
                case 2:
                    Allocate(heap, live, ref input, nextFill++);
                    break;
                case 3:
                case 4:
                    if (live.Count > 0)
                    {
                        LiveBlock block = live.RemoveAt(input.Below(live.Count));
                        RequireIntact(memory, block);
                        heap.Free(block.Offset, block.Size, block.Alignment);
                        freed.Add(block);
                    }

                    break;
                case 5:
                    BadFree(heap, live, freed, ref input);
                    break;
                case 6:
                    if (live.Count > 0)
                    {
                        int index = input.Below(live.Count);
                        LiveBlock block = live[index] with { Fill = nextFill++ };
                        memory.GetSpan(block.Offset, checked((int)block.Size)).Fill(block.Fill);
                        live.Replace(index, block);
                    }

                    break;
                default:
                    CompareFreeBlocks(heap, live);
                    break;
            }

            heap.CheckInvariants();
            FuzzCheckException.Require(heap.FreeBytes + live.ReservedBytes == heap.HeapBytes,
                $"free {heap.FreeBytes} + reserved {live.ReservedBytes} != heap {heap.HeapBytes}");
            foreach (LiveBlock block in live.All)
            {
                RequireIntact(memory, block);
            }
        }

        CompareFreeBlocks(heap, live);
    }

    private static void Allocate(FreeListAllocator heap, LiveBlocks live, ref FuzzInput input, byte fill)
    {
        byte sizeKind = input.Byte();
        int raw = input.UInt16();
        long size = (sizeKind % 16) switch
        {
            0 => BadSizes[raw % BadSizes.Length],
            1 => HugeSizes[raw % HugeSizes.Length],
            int scale => 1 + (raw % (1 << Math.Min(scale + 2, 18))),
        };
        long alignment = Alignment(input.Byte());
        bool valid = size is > 0 and <= long.MaxValue - 15 && alignment > 0 && (alignment & (alignment - 1)) == 0 && alignment <= FreeListAllocator.MaxAlignment;
        if (!valid)
        {
            Expect.Rejected<ArgumentOutOfRangeException>($"TryAllocate({size}, {alignment})", () => heap.TryAllocate(size, alignment, out _), () => State(heap));
            return;
        }

        long heapBefore = heap.HeapBytes;
        if (!heap.TryAllocate(size, alignment, out long offset))
        {
            // Out of memory grows nothing, except the documented 0-page exact-fit case (note 0002).
            FuzzCheckException.Require(heap.HeapBytes == heapBefore || (!heap.ExactFitAtHeapBase && heapBefore == 0),
                $"a failed TryAllocate({size}, {alignment}) grew the heap from {heapBefore} to {heap.HeapBytes}");
            return;
        }

        long reserved = (Math.Max(size, FreeListAllocator.NodeBytes) + 15) & ~15L;
        long effective = Math.Max(alignment, FreeListAllocator.NodeBytes);
        FuzzCheckException.Require(offset >= 0 && offset % effective == 0 && reserved <= heap.HeapBytes - offset,
            $"TryAllocate({size}, {alignment}) returned offset {offset}: misaligned or past the heap of {heap.HeapBytes} bytes");
        var block = new LiveBlock(offset, size, alignment, reserved, fill);
        live.Add(block);
        heap.Memory.GetSpan(offset, checked((int)size)).Fill(fill);
    }

    private static void BadFree(FreeListAllocator heap, LiveBlocks live, List<LiveBlock> freed, ref FuzzInput input)
    {
        byte kind = input.Byte();
        int raw = input.UInt16();
        long heapBytes = heap.HeapBytes;
        LiveBlock? target = live.Count > 0 ? live[raw % live.Count] : null;
        switch (kind % 8)
        {
            case 0:
                Rejected(heap, heapBytes + (16 * (raw % 4)), 16, 16);
                break;
            case 1:
                Rejected(heap, -16 * (1 + (raw % 4)), 16, 16);
                break;
            case 2 when target is { } block:
                Rejected(heap, block.Offset + 1 + (raw % 15), block.Size, 1);
                break;
            case 3 when target is { } block:
                Rejected(heap, block.Offset, heapBytes - block.Offset + 16, block.Alignment);
                break;
            case 4 when heap.IsChecked && target is { } block && block.Bytes > 16:
                // Interior free: a node-aligned offset inside the block.
                Rejected(heap, block.Offset + (16 * (1 + (raw % ((block.Bytes / 16) - 1)))), 16, 16);
                break;
            case 5 when heap.IsChecked && target is { } block:
                Rejected(heap, block.Offset, block.Size + 16, block.Alignment);
                break;
            case 6 when heap.IsChecked && freed.Count > 0:
                LiveBlock old = freed[raw % freed.Count];
                if (!live.StartsAt(old.Offset) && old.End <= heapBytes)
                {
                    Rejected(heap, old.Offset, old.Size, old.Alignment);
                }

                break;
            case 7 when target is { } block:
                Rejected(heap, block.Offset, BadSizes[raw % BadSizes.Length], block.Alignment);
                break;
            default:
                break;
        }
    }

    private static void Rejected(FreeListAllocator heap, long offset, long size, long alignment) =>
        Expect.Rejected<ArgumentException>($"Free({offset}, {size}, {alignment})", () => heap.Free(offset, size, alignment), () => State(heap));

    private static long Alignment(byte code) => (code % 20) switch
    {
        17 => 1L << 17,
        18 => 0,
        19 => code >= 128 ? -16 : 48,
        int bits => 1L << bits,
    };

    private static void RequireIntact(ILinearMemory memory, LiveBlock block)
    {
        int mismatch = memory.GetSpan(block.Offset, checked((int)block.Size)).IndexOfAnyExcept(block.Fill);
        FuzzCheckException.Require(mismatch < 0,
            $"byte {mismatch} of the live block at {block.Offset} ({block.Size} bytes) changed from {block.Fill}");
    }

    private static void CompareFreeBlocks(FreeListAllocator heap, LiveBlocks live)
    {
        IReadOnlyList<AddressRange> free = heap.GetFreeBlocks();
        FuzzCheckException.Require(free.Count == heap.FreeBlockCount, $"{free.Count} free blocks listed, FreeBlockCount {heap.FreeBlockCount}");
        long sum = 0;
        for (int i = 0; i < free.Count; i++)
        {
            AddressRange range = free[i];
            sum += range.Size;
            if (i > 0)
            {
                FuzzCheckException.Require(range.End < free[i - 1].Start, $"free blocks {free[i - 1]} and {range} are not descending and apart");
            }

            foreach (LiveBlock block in live.All)
            {
                FuzzCheckException.Require(range.End <= block.Offset || block.End <= range.Start, $"free block {range} overlaps the live block at {block.Offset}");
            }
        }

        FuzzCheckException.Require(sum == heap.FreeBytes, $"free blocks sum to {sum}, FreeBytes {heap.FreeBytes}");
        FuzzCheckException.Require(heap.LiveBytes == live.ReservedBytes, $"LiveBytes {heap.LiveBytes}, model {live.ReservedBytes}");
    }

    private static string State(FreeListAllocator heap)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"heap {heap.HeapBytes} free {heap.FreeBytes}:");
        foreach (AddressRange range in heap.GetFreeBlocks())
        {
            text.Append(' ').Append(range.ToString());
        }

        return text.ToString();
    }
}
