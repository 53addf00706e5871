using System.Globalization;
using System.Text;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Invariants;

namespace Veralloc.Fuzz;

/// <summary>
/// Operation sequences on <see cref="SegregatedFitAllocator"/>. The first bytes choose the capacity (sometimes a bad
/// one, which the constructor must reject), the second-level bits and the initial block records (small, so the record
/// arrays grow); then each operation is an opcode byte and its arguments: allocate (good and bad sizes and
/// alignments), free a live block, a bad free (not live, double, wrong size, misaligned), grow (good and bad amounts),
/// or compare the free ranges with the model.
/// </summary>
/// <remarks>
/// After every operation: <see cref="SegregatedFitAllocator.CheckInvariants"/>, free plus used bytes equal the
/// capacity, the used-block count equals the model's, and no two live blocks overlap. A failed allocation must keep the
/// good-fit promise: no free block is as large as <see cref="SegregatedFitAllocator.SufficientFreeBlockBytes"/>. The
/// allocator keeps its metadata outside the range, so there are no bytes to check.
/// </remarks>
public static class SegregatedFitTarget
{
    private const int MaxOperations = 4096;
    private const long Granule = SegregatedFitAllocator.GranuleBytes;

    private static readonly long[] BadSizes = [0, -1, long.MinValue, SegregatedFitAllocator.MaxCapacityBytes + 1, long.MaxValue];

    /// <summary>Runs one input.</summary>
    /// <param name="bytes">The encoded configuration and operations.</param>
    public static void Run(ReadOnlySpan<byte> bytes)
    {
        var input = new FuzzInput(bytes);
        byte shape = input.Byte();
        long capacity = Granule * (1 + input.Below(4096));
        var options = new SegregatedFitOptions { SecondLevelBits = 1 + (input.Byte() % 5), InitialBlockRecords = 1 + (input.Byte() % 8) };
        if (shape % 32 == 0)
        {
            RejectConstructor(shape, capacity, options);
            return;
        }

        var allocator = new SegregatedFitAllocator(capacity, options);
        var live = new LiveBlocks();
        var freed = new List<LiveBlock>();
        for (int step = 0; step < MaxOperations && !input.IsExhausted; step++)
        {
            switch (input.Byte() % 8)
            {
                case 0:
                case 1:
                case 2:
                    Allocate(allocator, live, ref input);
                    break;
                case 3:
                case 4:
                    if (live.Count > 0)
                    {
                        LiveBlock block = live.RemoveAt(input.Below(live.Count));
                        allocator.Free(block.Offset, block.Size, block.Alignment);
                        freed.Add(block);
                    }

                    break;
                case 5:
                    BadFree(allocator, live, freed, ref input);
                    break;
                case 6:
                    Grow(allocator, ref input);
                    break;
                default:
                    CompareFreeRanges(allocator, live);
                    break;
            }

            allocator.CheckInvariants();
            FuzzCheckException.Require(allocator.UsedBlockCount == live.Count, $"UsedBlockCount {allocator.UsedBlockCount}, model {live.Count}");
            FuzzCheckException.Require(allocator.UsedBytes == live.ReservedBytes, $"UsedBytes {allocator.UsedBytes}, model {live.ReservedBytes}");
        }

        CompareFreeRanges(allocator, live);
    }

    private static void RejectConstructor(byte shape, long capacity, SegregatedFitOptions options)
    {
        (long badCapacity, SegregatedFitOptions badOptions) = (shape >> 5) switch
        {
            0 => (0L, options),
            1 => (capacity + 1, options),
            2 => (-capacity, options),
            3 => (SegregatedFitAllocator.MaxCapacityBytes + Granule, options),
            4 => (capacity, options with { SecondLevelBits = 0 }),
            5 => (capacity, options with { SecondLevelBits = SegregatedFitOptions.MaxSecondLevelBits + 1 }),
            6 => (capacity, options with { InitialBlockRecords = 0 }),
            _ => (capacity, options with { InitialBlockRecords = -1 }),
        };
        try
        {
            _ = new SegregatedFitAllocator(badCapacity, badOptions);
        }
        catch (ArgumentOutOfRangeException)
        {
            return;
        }

        throw new FuzzCheckException($"new SegregatedFitAllocator({badCapacity}, {badOptions}) was accepted");
    }

    private static void Allocate(SegregatedFitAllocator allocator, LiveBlocks live, ref FuzzInput input)
    {
        byte sizeKind = input.Byte();
        int raw = input.UInt16();
        long size = (sizeKind % 16) switch
        {
            0 => BadSizes[raw % BadSizes.Length],
            1 => SegregatedFitAllocator.MaxCapacityBytes - (raw % 64),
            int scale => 1 + (raw % (1 << Math.Min(scale + 2, 17))),
        };
        byte alignmentCode = input.Byte();
        long alignment = (alignmentCode % 24) switch
        {
            21 => SegregatedFitAllocator.MaxAlignmentBytes * 2,
            22 => 0,
            23 => alignmentCode >= 128 ? -8 : 24,
            int bits => 1L << bits,
        };
        bool valid = size is >= 1 and <= SegregatedFitAllocator.MaxCapacityBytes
            && alignment is >= 1 and <= SegregatedFitAllocator.MaxAlignmentBytes && (alignment & (alignment - 1)) == 0;
        if (!valid)
        {
            Expect.Rejected<ArgumentOutOfRangeException>($"TryAllocate({size}, {alignment})", () => allocator.TryAllocate(size, alignment, out _), () => State(allocator));
            return;
        }

        if (!allocator.TryAllocate(size, alignment, out long offset))
        {
            long sufficient = allocator.SufficientFreeBlockBytes(size, alignment);
            var free = new List<AddressRange>();
            allocator.CopyFreeRanges(free);
            foreach (AddressRange range in free)
            {
                FuzzCheckException.Require(range.Size < sufficient,
                    $"TryAllocate({size}, {alignment}) failed although the free block {range} holds the sufficient {sufficient} bytes");
            }

            return;
        }

        long reserved = (size + Granule - 1) & ~(Granule - 1);
        FuzzCheckException.Require(offset >= 0 && offset % alignment == 0 && reserved <= allocator.CapacityBytes - offset,
            $"TryAllocate({size}, {alignment}) returned offset {offset}: misaligned or past the capacity {allocator.CapacityBytes}");
        live.Add(new LiveBlock(offset, size, alignment, reserved, 0));
    }

    private static void BadFree(SegregatedFitAllocator allocator, LiveBlocks live, List<LiveBlock> freed, ref FuzzInput input)
    {
        byte kind = input.Byte();
        int raw = input.UInt16();
        LiveBlock? target = live.Count > 0 ? live[raw % live.Count] : null;
        switch (kind % 6)
        {
            case 0 when target is { } block:
                // Not the start of a live block: inside it, or one granule past its end when nothing starts there.
                long inside = block.Offset + 1 + (raw % block.Bytes);
                if (!live.StartsAt(inside))
                {
                    Rejected(allocator, inside, 1, 1);
                }

                break;
            case 1 when freed.Count > 0:
                LiveBlock old = freed[raw % freed.Count];
                if (!live.StartsAt(old.Offset))
                {
                    Rejected(allocator, old.Offset, old.Size, old.Alignment);
                }

                break;
            case 2 when target is { } block:
                Rejected(allocator, block.Offset, block.Bytes + Granule, block.Alignment);
                break;
            case 3 when target is { } block && block.Offset != 0:
                long misaligned = (block.Offset & -block.Offset) << 1;
                if (misaligned <= SegregatedFitAllocator.MaxAlignmentBytes)
                {
                    Rejected(allocator, block.Offset, block.Size, misaligned);
                }

                break;
            case 4 when target is { } block:
                Rejected(allocator, block.Offset, BadSizes[raw % BadSizes.Length], block.Alignment);
                break;
            case 5:
                Rejected(allocator, -Granule * (1 + (raw % 4)), Granule, 1);
                break;
            default:
                break;
        }
    }

    private static void Rejected(SegregatedFitAllocator allocator, long offset, long size, long alignment) =>
        Expect.Rejected<ArgumentException>($"Free({offset}, {size}, {alignment})", () => allocator.Free(offset, size, alignment), () => State(allocator));

    private static void Grow(SegregatedFitAllocator allocator, ref FuzzInput input)
    {
        byte kind = input.Byte();
        long bytes = Granule * input.Below(1024);
        long before = allocator.CapacityBytes;
        bool valid = bytes > 0;
        if ((kind & 3) == 0)
        {
            bytes += 1 + (kind % Granule);
            valid = false;
        }
        else if ((kind & 3) == 1)
        {
            bytes = kind >= 128 ? -Granule : SegregatedFitAllocator.MaxCapacityBytes - before + Granule;
            valid = false;
        }

        if (!valid)
        {
            Expect.Rejected<ArgumentOutOfRangeException>($"Grow({bytes})", () => allocator.Grow(bytes), () => State(allocator));
            return;
        }

        allocator.Grow(bytes);
        FuzzCheckException.Require(allocator.CapacityBytes == before + bytes, $"Grow({bytes}) from {before} gave capacity {allocator.CapacityBytes}");
    }

    private static void CompareFreeRanges(SegregatedFitAllocator allocator, LiveBlocks live)
    {
        var free = new List<AddressRange>();
        allocator.CopyFreeRanges(free);
        FuzzCheckException.Require(free.Count == allocator.FreeBlockCount, $"{free.Count} free ranges copied, FreeBlockCount {allocator.FreeBlockCount}");
        long sum = 0;
        long largest = 0;
        for (int i = 0; i < free.Count; i++)
        {
            AddressRange range = free[i];
            sum += range.Size;
            largest = Math.Max(largest, range.Size);
            if (i > 0)
            {
                FuzzCheckException.Require(range.Start > free[i - 1].End, $"free ranges {free[i - 1]} and {range} are not ascending and apart");
            }

            FuzzCheckException.Require(range.Start >= 0 && range.End <= allocator.CapacityBytes, $"free range {range} outside the capacity {allocator.CapacityBytes}");
            foreach (LiveBlock block in live.All)
            {
                FuzzCheckException.Require(range.End <= block.Offset || block.End <= range.Start, $"free range {range} overlaps the live block at {block.Offset}");
            }
        }

        FuzzCheckException.Require(sum == allocator.FreeBytes, $"free ranges sum to {sum}, FreeBytes {allocator.FreeBytes}");
        FuzzCheckException.Require(largest == allocator.LargestFreeBlock, $"largest free range {largest}, LargestFreeBlock {allocator.LargestFreeBlock}");
    }

    private static string State(SegregatedFitAllocator allocator)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"capacity {allocator.CapacityBytes} free {allocator.FreeBytes} used blocks {allocator.UsedBlockCount}:");
        var free = new List<AddressRange>();
        allocator.CopyFreeRanges(free);
        foreach (AddressRange range in free)
        {
            text.Append(' ').Append(range.ToString());
        }

        return text.ToString();
    }
}
