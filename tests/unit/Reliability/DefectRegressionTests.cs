using System.Reflection;
using System.Runtime.CompilerServices;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Tests.Unit.Reliability;

/// <summary>
/// One test per defect of the reliability report, each replaying the report's own reproduction: memory freed
/// under a live span, writes lost to a moved slab, the slab's documented limit, a free list and a land trusting an
/// overwritten word, and fixed-size blocks accepting frees of blocks they never handed out.
/// </summary>
public sealed class DefectRegressionTests
{
    private const long Page = LinearMemory.PageBytes;

    [Fact]
    public void ANativeSpanStaysUsableAfterItsMemoryBecomesUnreachable()
    {
        // The report's program: the only reference left is the span. With the old finalizer the collector freed
        // the reservation here and the Fill below crashed the process; a regression would crash this test host.
        // The reservation is deliberately never disposed (nothing references the memory), so it stays allocated.
        Span<byte> span = SpanOfAnUnreachableMemory();
        for (int round = 0; round < 3; round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        span.Fill(1);
        Assert.Equal(1 << 20, span.Length);
        Assert.Equal(-1, span.IndexOfAnyExcept((byte)1));
    }

    [Fact]
    public void NativeLinearMemoryHasNoFinalizerThatCouldFreeBytesUnderASpan()
    {
        MethodInfo? finalizer = typeof(NativeLinearMemory).GetMethod("Finalize", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
        Assert.Null(finalizer);
        Assert.False(typeof(System.Runtime.InteropServices.SafeHandle).IsAssignableFrom(typeof(NativeLinearMemory)));
    }

    [Theory]
    [InlineData("slab")]
    [InlineData("native")]
    [InlineData("fault-injecting")]
    public void ASpanTakenBeforeGrowthStillWritesTheMemory(string backing)
    {
        // The report's reproduction: allocate 100 B, take its span, allocate 200,000 B (which grows the heap), fill the span.
        ILinearMemory memory = backing switch
        {
            "slab" => new SlabLinearMemory(maxPages: 8),
            "native" => new NativeLinearMemory(maxPages: 8),
            _ => new FaultInjectingMemory(new SlabLinearMemory(maxPages: 8)),
        };
        try
        {
            var allocator = new FreeListAllocator(memory);
            Assert.True(allocator.TryAllocate(100, 1, out long small));
            Span<byte> span = memory.GetSpan(small, 100);
            int pagesBefore = memory.PageCount;

            Assert.True(allocator.TryAllocate(200_000, 1, out _));
            span.Fill(0x5A);

            Assert.True(memory.PageCount > pagesBefore);
            Assert.Equal(-1, memory.GetSpan(small, 100).IndexOfAnyExcept((byte)0x5A));
            Assert.Equal(0x5A5A5A5A5A5A5A5A, memory.ReadWord(small + 16));
        }
        finally
        {
            (memory as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void TheSlabAcceptsItsDocumentedLimitOf32767Pages()
    {
        Assert.Equal(32_767, SlabLinearMemory.MaxSlabPages);
        long slabBytes = (long)SlabLinearMemory.MaxSlabPages * Page;
        Assert.True(slabBytes <= Array.MaxLength, "the largest slab fits in one array");
        Assert.True(slabBytes + Page > Array.MaxLength, "one more page would not");

        // The slab is allocated uninitialized, so 2 GiB of address space is taken but only the page grown is touched.
        var memory = new SlabLinearMemory(SlabLinearMemory.MaxSlabPages);
        Assert.Equal(SlabLinearMemory.MaxSlabPages, memory.MaxPages);
        Assert.True(memory.TryGrow(1, out int previous));
        Assert.Equal(0, previous);
        Assert.Equal(0, memory.ReadWord(Page - 8));
        Assert.False(memory.TryGrow(SlabLinearMemory.MaxSlabPages, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlabLinearMemory(SlabLinearMemory.MaxSlabPages + 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFreeListSizeWordOf2To40IsReportedAndNothingChanges(bool checkedMode)
    {
        // The report's reproduction: overwrite the size word of a free block with 2^40, then TryAllocate(16, 16) on a 64 KiB heap.
        var memory = new SlabLinearMemory(maxPages: 1);
        var allocator = new FreeListAllocator(memory, new FreeListOptions { CheckedMode = checkedMode });
        Assert.True(allocator.TryAllocate(64, 16, out long live));
        memory.GetSpan(live, 64).Fill(0xC3);
        memory.WriteWord(0 + 8, 1L << 40);
        byte[] heapBefore = memory.GetSpan(0, (int)memory.SizeBytes).ToArray();
        long freeBefore = allocator.FreeBytes;

        var error = Assert.Throws<InvariantViolationException>(() => allocator.TryAllocate(16, 16, out _));

        Assert.Equal(FreeListInvariantIds.Bounds, error.InvariantId);
        Assert.Contains("node 0", error.Message, StringComparison.Ordinal);
        Assert.Contains((1L << 40).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Equal(heapBefore, memory.GetSpan(0, (int)memory.SizeBytes).ToArray());
        Assert.Equal(freeBefore, allocator.FreeBytes);
        Assert.Equal(1, memory.PageCount);
    }

    [Theory]
    [InlineData(FindDelete.None, long.MaxValue, LandInvariantIds.Aligned, "0x7fffffffffffffff")]
    [InlineData(FindDelete.Low, long.MaxValue, LandInvariantIds.Aligned, "0x7fffffffffffffff")]
    [InlineData(FindDelete.Entire, long.MaxValue & ~7, LandInvariantIds.Bounds, "0x7ffffffffffffff8")]
    [InlineData(FindDelete.High, 0x10008, LandInvariantIds.Bounds, "0x10008")]
    public void AFreeListLandNeverFindsARangeOutsideItsMemory(FindDelete delete, long limitWord, string expectedId, string limitText)
    {
        // The report's example: a limit word overwritten with long.MaxValue made finds return [0x40, 0x7fffffffffffffff).
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var land = new FreeListLand(memory);
        land.Insert(new AddressRange(0x40, 0x40));
        memory.WriteWord(0x48, limitWord);
        byte[] before = memory.GetSpan(0, (int)memory.SizeBytes).ToArray();

        foreach (Func<bool> find in new Func<bool>[]
        {
            () => land.TryFindFirst(8, delete, out _),
            () => land.TryFindLast(8, delete, out _),
            () => land.TryFindLargest(8, delete, out _),
        })
        {
            var error = Assert.Throws<InvariantViolationException>(() => find());
            Assert.Equal(expectedId, error.InvariantId);
            Assert.Contains("node@0x40", error.Message, StringComparison.Ordinal);
            Assert.Contains(limitText, error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, memory.GetSpan(0, (int)memory.SizeBytes).ToArray());
        Assert.Equal(0x40, land.TotalSize);
    }

    [Fact]
    public void FixedSizeBlocksRefuseAForeignFreeSoTheFallbackNeverSharesABlock()
    {
        // The report's reproduction: Free(65536, 64, 64) of a block never handed out, then an allocation.
        var memory = new SlabLinearMemory(maxPages: 2, initialPages: 2);
        var fallback = new SegregatedFitAllocator(memory.SizeBytes);
        var allocator = new FixedSizeBlockAllocator(fallback, memory);

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(65536, 64, 64));
        Assert.Contains("Offset 65536", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a 64-byte block this allocator handed out", error.Message, StringComparison.Ordinal);

        Assert.True(allocator.TryAllocate(64, 64, out long block));
        Assert.True(fallback.TryAllocate(64, 64, out long fallbackBlock));
        Assert.NotEqual(block, fallbackBlock);
        Assert.Equal(0, allocator.FreeBlocksInClass(64));
        allocator.CheckInvariants();
    }

    [Fact]
    public void FixedSizeBlocksRefuseAFreeWithAWrongButAlignedClassSize()
    {
        var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
        var fallback = new SegregatedFitAllocator(memory.SizeBytes);
        var allocator = new FixedSizeBlockAllocator(fallback, memory);
        Assert.True(allocator.TryAllocate(64, 64, out long block));

        // 32 divides the block's offset, so alignment alone cannot tell this free from a real class-32 block.
        var error = Assert.Throws<ArgumentException>(() => allocator.Free(block, 32, 32));

        Assert.Contains("class 32", error.Message, StringComparison.Ordinal);
        Assert.Contains("handed out as a 64-byte class block", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, allocator.FreeBlocksInClass(32));
        Assert.True(allocator.TryAllocate(32, 32, out long other));
        Assert.NotEqual(block, other);
        allocator.CheckInvariants();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Span<byte> SpanOfAnUnreachableMemory()
    {
        var memory = new NativeLinearMemory(maxPages: 16, initialPages: 16);
        return memory.GetSpan(0, 1 << 20);
    }
}
