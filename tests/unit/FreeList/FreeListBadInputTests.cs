using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.FreeList;

/// <summary>
/// Every rejected call throws the documented exception type with a message naming the value and the
/// rule, and changes nothing: the free list, page count, free bytes and every live allocation's bytes
/// are identical afterwards and the invariants hold.
/// </summary>
public sealed class FreeListBadInputTests
{
    private const long Page = LinearMemory.PageBytes;

    /// <summary>A heap with live allocations (each filled with its own byte pattern) and several free blocks.</summary>
    private sealed class Fixture
    {
        public Fixture(bool checkedMode)
        {
            Allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 4), new FreeListOptions { CheckedMode = checkedMode });
            (long Size, long Alignment)[] requests = [(24, 8), (100, 64), (16, 16), (40, 1), (300, 256), (16, 1)];
            foreach ((long size, long alignment) in requests)
            {
                Assert.True(Allocator.TryAllocate(size, alignment, out long offset));
                Live.Add((offset, size, alignment));
                Allocator.Memory.GetSpan(offset, (int)size).Fill((byte)(Live.Count * 37));
            }

            // Free two non-adjacent allocations so the list has holes as well as the low remainder.
            FreeLive(1);
            FreeLive(3);
        }

        public FreeListAllocator Allocator { get; }

        public List<(long Offset, long Size, long Alignment)> Live { get; } = [];

        public (long Offset, long Size, long Alignment) Freed1 { get; private set; }

        private void FreeLive(int index)
        {
            (long offset, long size, long alignment) = Live[index];
            Allocator.Free(offset, size, alignment);
            Live[index] = (-1, 0, 0);
            if (index == 1)
            {
                Freed1 = (offset, size, alignment);
            }
        }

        public (long Offset, long Size, long Alignment) AnyLive => Live.First(a => a.Offset >= 0);

        public void AssertRejectedWithoutChange<TException>(Action call, params string[] messageParts)
            where TException : Exception
        {
            IReadOnlyList<AddressRange> blocks = Allocator.GetFreeBlocks();
            int pages = Allocator.PageCount;
            long freeBytes = Allocator.FreeBytes;
            byte[] heap = Allocator.Memory.GetSpan(0, (int)Allocator.HeapBytes).ToArray();

            TException thrown = Assert.Throws<TException>(call);
            foreach (string part in messageParts)
            {
                Assert.Contains(part, thrown.Message, StringComparison.Ordinal);
            }

            Assert.Equal(blocks, Allocator.GetFreeBlocks());
            Assert.Equal(pages, Allocator.PageCount);
            Assert.Equal(freeBytes, Allocator.FreeBytes);
            Assert.Equal(heap, Allocator.Memory.GetSpan(0, (int)Allocator.HeapBytes).ToArray());
            Allocator.CheckInvariants();
            for (int i = 0; i < Live.Count; i++)
            {
                (long offset, long size, _) = Live[i];
                if (offset >= 0)
                {
                    Assert.All(Allocator.Memory.GetSpan(offset, (int)size).ToArray(), b => Assert.Equal((byte)((i + 1) * 37), b));
                }
            }
        }
    }

    public static TheoryData<bool> Modes => new() { false, true };

    [Theory]
    [MemberData(nameof(Modes))]
    public void AllocateRejectsBadSizes(bool checkedMode)
    {
        var f = new Fixture(checkedMode);
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.TryAllocate(0, 1, out _), "Size 0", "positive");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.TryAllocate(-16, 1, out _), "Size -16", "positive");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.TryAllocate(long.MaxValue, 1, out _), $"Size {long.MaxValue}", "overflows");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.TryAllocate(long.MaxValue - 14, 1, out _), "overflows");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void AllocateRejectsBadAlignments(bool checkedMode)
    {
        var f = new Fixture(checkedMode);
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.TryAllocate(8, 0, out _), "Alignment 0", "power of two");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.TryAllocate(8, -8, out _), "Alignment -8", "power of two");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.TryAllocate(8, 24, out _), "Alignment 24", "power of two");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.TryAllocate(8, 2 * Page, out _), $"Alignment {2 * Page}", "at most one page");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.TryAllocate(8, long.MinValue, out _), "power of two");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void FreeRejectsBadSizesAndAlignments(bool checkedMode)
    {
        var f = new Fixture(checkedMode);
        (long offset, long size, long alignment) = f.AnyLive;
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.Free(offset, 0, alignment), "Size 0");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.Free(offset, long.MaxValue, alignment), "overflows");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.Free(offset, size, 3), "Alignment 3");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.Free(offset, size, 2 * Page), "at most one page");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void FreeRejectsOffsetsOutsideTheHeapOrMisaligned(bool checkedMode)
    {
        var f = new Fixture(checkedMode);
        long heap = f.Allocator.HeapBytes;
        (long offset, long size, long alignment) = f.AnyLive;
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.Free(-16, 16, 1), "Offset -16", "inside the heap");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.Free(heap, 16, 1), $"Offset {heap}", "inside the heap");
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.Free(long.MaxValue, 16, 1), "inside the heap");
        f.AssertRejectedWithoutChange<ArgumentException>(() => f.Allocator.Free(offset + 8, size, 1), $"Offset {offset + 8}", "multiple of NODE");
        f.AssertRejectedWithoutChange<ArgumentException>(() => f.Allocator.Free(heap - 64, 16, 128), $"Offset {heap - 64}", "alignment 128");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void FreeRejectsARangeExtendingPastTheHeap(bool checkedMode)
    {
        var f = new Fixture(checkedMode);
        long heap = f.Allocator.HeapBytes;
        f.AssertRejectedWithoutChange<ArgumentOutOfRangeException>(() => f.Allocator.Free(heap - 16, 17, 1), "must end inside the heap", $"[{heap - 16}, {heap - 16} + 32)");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void FreeRejectsDoubleFree(bool checkedMode)
    {
        var f = new Fixture(checkedMode);
        (long offset, long size, long alignment) = f.Freed1;
        string expected = checkedMode ? "not the start of a live allocation" : "overlaps the free block";
        f.AssertRejectedWithoutChange<ArgumentException>(() => f.Allocator.Free(offset, size, alignment), $"{offset}", expected);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void FreeRejectsRangesInsideOrOverlappingAFreeBlock(bool checkedMode)
    {
        var f = new Fixture(checkedMode);
        AddressRange low = f.Allocator.GetFreeBlocks()[^1];
        Assert.Equal(0, low.Start);
        string expected = checkedMode ? "not the start of a live allocation" : "overlaps the free block";

        // Inside the low remainder, and a range that starts in free memory and runs into a live block.
        f.AssertRejectedWithoutChange<ArgumentException>(() => f.Allocator.Free(low.Start + 32, 16, 1), expected);
        f.AssertRejectedWithoutChange<ArgumentException>(() => f.Allocator.Free(low.End - 16, 64, 1), expected);

        // A range that starts at a live block and runs into the free hole above it.
        (long holeOffset, long holeSize, _) = f.Freed1;
        long rounded = (holeSize + 15) & ~15L;
        long below = f.Live.Where(a => a.Offset >= 0 && a.Offset < holeOffset).Max(a => a.Offset);
        f.AssertRejectedWithoutChange<ArgumentException>(
            () => f.Allocator.Free(below, holeOffset - below + rounded, 1),
            checkedMode ? "must pass the size and alignment" : "overlaps the free block");
    }

    [Fact]
    public void CheckedModeRejectsOffsetsThatWereNeverAllocated()
    {
        var f = new Fixture(checkedMode: true);
        (long offset, long size, _) = f.Live[4];
        Assert.True(size > 32);
        f.AssertRejectedWithoutChange<ArgumentException>(() => f.Allocator.Free(offset + 16, 16, 1), $"Offset {offset + 16}", "never allocated");
    }

    [Fact]
    public void CheckedModeRejectsASizeOrAlignmentThatDisagreesWithTheAllocation()
    {
        var f = new Fixture(checkedMode: true);
        (long offset, long size, long alignment) = f.Live[4];
        f.AssertRejectedWithoutChange<ArgumentException>(() => f.Allocator.Free(offset, size - 1, alignment), $"size {size - 1}", $"size {size}, alignment {alignment}");
        f.AssertRejectedWithoutChange<ArgumentException>(() => f.Allocator.Free(offset, size, 16), "alignment 16", $"alignment {alignment}");
        f.AssertRejectedWithoutChange<ArgumentException>(() => f.Allocator.Free(offset, 16, 1), "must pass the size and alignment");
    }

    [Fact]
    public void UncheckedModeCannotSeeAWrongSizeThatOverlapsNoFreeMemory()
    {
        // Documented limitation (design note 0004): freeing only part of a live block is accepted unchecked.
        var f = new Fixture(checkedMode: false);
        (long offset, long size, long alignment) = f.Live[4];
        long freeBefore = f.Allocator.FreeBytes;
        f.Allocator.Free(offset, 16, alignment);
        Assert.Equal(freeBefore + 16, f.Allocator.FreeBytes);
        f.Allocator.CheckInvariants();
        Assert.True(size > 16);
    }
}
