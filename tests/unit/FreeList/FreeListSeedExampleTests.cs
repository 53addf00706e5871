using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.FreeList;

/// <summary>The observable examples of SEED-SEMANTICS §1, exactly.</summary>
public sealed class FreeListSeedExampleTests
{
    private const long Node = FreeListAllocator.NodeBytes;
    private const long Page = LinearMemory.PageBytes;

    private static AddressRange Block(long start, long size) => new(start, size);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneByteOnAFreshHeapLandsAtPageMinusNodeAndFreesBackToOneBlock(bool checkedMode)
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 4), new FreeListOptions { CheckedMode = checkedMode });
        Assert.Equal(0, allocator.PageCount);
        Assert.Empty(allocator.GetFreeBlocks());

        Assert.True(allocator.TryAllocate(1, 1, out long offset));
        Assert.Equal(Page - Node, offset);
        Assert.Equal(1, allocator.PageCount);
        Assert.Equal([Block(0, Page - Node)], allocator.GetFreeBlocks());
        Assert.Equal(Node, allocator.LiveBytes);
        allocator.CheckInvariants();

        allocator.Free(offset, 1, 1);
        Assert.Equal([Block(0, Page)], allocator.GetFreeBlocks());
        Assert.Equal(Page, allocator.FreeBytes);
        Assert.Equal(0, allocator.LiveBytes);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreeingThreeNOneNZeroTwoNGivesTheSeedListsInTurn()
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1), new FreeListOptions { CheckedMode = true });

        // Keep everything above 4N live, then take the four nodes below it, so the list starts empty.
        Assert.True(allocator.TryAllocate(Page - (4 * Node), 1, out long above));
        Assert.Equal(4 * Node, above);
        long[] expectedOffsets = [3 * Node, 2 * Node, 1 * Node, 0];
        foreach (long expected in expectedOffsets)
        {
            Assert.True(allocator.TryAllocate(Node, 1, out long offset));
            Assert.Equal(expected, offset);
        }

        Assert.Empty(allocator.GetFreeBlocks());

        allocator.Free(3 * Node, Node, 1);
        Assert.Equal([Block(3 * Node, Node)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();

        allocator.Free(1 * Node, Node, 1);
        Assert.Equal([Block(3 * Node, Node), Block(1 * Node, Node)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();

        allocator.Free(0, Node, 1);
        Assert.Equal([Block(3 * Node, Node), Block(0, 2 * Node)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();

        allocator.Free(2 * Node, Node, 1);
        Assert.Equal([Block(0, 4 * Node)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();

        allocator.Free(above, Page - (4 * Node), 1);
        Assert.Equal([Block(0, Page)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();
    }

    [Fact]
    public void PagePlusOneOnAOnePageHeapGrowsByTwoPagesAndLandsAtTheTop()
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 8), new FreeListOptions { CheckedMode = true });
        Assert.True(allocator.TryAllocate(1, 1, out long small));
        Assert.Equal(1, allocator.PageCount);

        Assert.True(allocator.TryAllocate(Page + 1, 1, out long big));
        Assert.Equal(3, allocator.PageCount);
        long full = Page + Node;
        Assert.Equal((3 * Page) - full, big);
        // The grown range [PAGE, 3 PAGE) cannot merge with [0, PAGE - NODE): the small allocation sits between.
        Assert.Equal([Block(Page, Page - Node), Block(0, Page - Node)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();

        allocator.Free(big, Page + 1, 1);
        allocator.Free(small, 1, 1);
        Assert.Equal([Block(0, 3 * Page)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();
    }

    [Fact]
    public void GrowthCoalescesWithAFreeBlockEndingAtTheOldHeapEnd()
    {
        // Existing pages start out free, so the grown range merges with them before the retry.
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 8, initialPages: 1));
        Assert.Equal([Block(0, Page)], allocator.GetFreeBlocks());

        Assert.True(allocator.TryAllocate(Page + 1, 1, out long big));
        Assert.Equal(3, allocator.PageCount);
        Assert.Equal((2 * Page) - Node, big);
        Assert.Equal([Block(0, (2 * Page) - Node)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();
    }

    [Fact]
    public void AnExactFitAtOffsetZeroIsTaken()
    {
        // The reference's underflow guard `full >= end` would skip this block (see design note 0002).
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1));
        Assert.True(allocator.TryAllocate(Page, 1, out long offset));
        Assert.Equal(0, offset);
        Assert.Equal(1, allocator.PageCount);
        Assert.Empty(allocator.GetFreeBlocks());
        allocator.CheckInvariants();
    }

    [Fact]
    public void AlignedRequestsTakeTheHighestAlignedPositionAndLeaveATailNodeBeforeTheBlock()
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1));
        Assert.True(allocator.TryAllocate(1, 1, out long first));
        Assert.Equal(Page - Node, first);

        // Free [0, PAGE - NODE): the highest 4 KiB-aligned position for 32 bytes is PAGE - 4 KiB.
        Assert.True(allocator.TryAllocate(32, 4096, out long aligned));
        Assert.Equal(Page - 4096, aligned);
        Assert.Equal([Block(Page - 4096 + 32, 4096 - 32 - Node), Block(0, Page - 4096)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();
    }

    [Fact]
    public void ABlockWhoseStartIsTheAlignedPositionLeavesTheList()
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1));
        Assert.True(allocator.TryAllocate(Page - 64, 1, out long big));
        Assert.Equal(64, big);
        Assert.Equal([Block(0, 64)], allocator.GetFreeBlocks());

        // 16 bytes aligned to 64 in [0, 64): position 0 == start, so the block leaves and [16, 64) replaces it.
        Assert.True(allocator.TryAllocate(16, 64, out long low));
        Assert.Equal(0, low);
        Assert.Equal([Block(16, 48)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();
    }

    [Fact]
    public void OutOfMemoryReturnsFalseAndChangesNothing()
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 2), new FreeListOptions { CheckedMode = true });
        Assert.True(allocator.TryAllocate(100, 8, out _));
        IReadOnlyList<AddressRange> before = allocator.GetFreeBlocks();

        Assert.False(allocator.TryAllocate(2 * Page, 1, out _));
        Assert.False(allocator.TryAllocate(long.MaxValue - 15, 1, out _));
        Assert.Equal(before, allocator.GetFreeBlocks());
        Assert.Equal(1, allocator.PageCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void AGrowerFailureLeavesEverythingUnchanged()
    {
        var memory = new FaultInjectingMemory(new SlabLinearMemory(maxPages: 8));
        var allocator = new FreeListAllocator(memory, new FreeListOptions { CheckedMode = true });
        Assert.True(allocator.TryAllocate(Page - 32, 1, out _));
        IReadOnlyList<AddressRange> before = allocator.GetFreeBlocks();

        memory.FailNextGrowths(1);
        Assert.False(allocator.TryAllocate(64, 1, out _));
        Assert.Equal(before, allocator.GetFreeBlocks());
        Assert.Equal(1, allocator.PageCount);
        Assert.Equal(32, allocator.FreeBytes);
        allocator.CheckInvariants();

        Assert.True(allocator.TryAllocate(64, 1, out long offset));
        Assert.Equal((2 * Page) - 64, offset);
    }

    [Fact]
    public void AccessorsDescribeTheHeap()
    {
        var memory = new SlabLinearMemory(maxPages: 2);
        var allocator = new FreeListAllocator(memory);
        Assert.Same(memory, allocator.Memory);
        Assert.False(allocator.IsChecked);
        Assert.True(allocator.TryAllocate(40, 1, out _));
        Assert.Equal(Page, allocator.HeapBytes);
        Assert.Equal(Page - 48, allocator.FreeBytes);
        Assert.Equal(48, allocator.LiveBytes);
        Assert.Equal(1, allocator.FreeBlockCount);
        Assert.True(new FreeListAllocator(new SlabLinearMemory(1), new FreeListOptions { CheckedMode = true }).IsChecked);
        Assert.Throws<ArgumentNullException>(() => new FreeListAllocator(null!));
    }

    [Fact]
    public void TheAllocatorWorksOverNativeMemory()
    {
        using var memory = new NativeLinearMemory(maxPages: 4);
        var allocator = new FreeListAllocator(memory, new FreeListOptions { CheckedMode = true });
        Assert.True(allocator.TryAllocate(1, 1, out long offset));
        Assert.Equal(Page - Node, offset);
        Assert.Equal([Block(0, Page - Node)], allocator.GetFreeBlocks());
        allocator.Free(offset, 1, 1);
        allocator.CheckInvariants();
        Assert.Equal([Block(0, Page)], allocator.GetFreeBlocks());
    }
}
