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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FreeingThreeNOneNZeroTwoNGivesTheSeedListsInTurn(bool exactFitAtHeapBase)
    {
        var options = new FreeListOptions { CheckedMode = true, ExactFitAtHeapBase = exactFitAtHeapBase };
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1), options);

        // Keep everything above 4N live, then take the four nodes below it, so the list starts empty.
        // The node at 0 is taken with alignment 2N out of {0, 2N}, which is not an exact fit at offset 0.
        Assert.True(allocator.TryAllocate(Page - (4 * Node), 1, out long above));
        Assert.Equal(4 * Node, above);
        (long Alignment, long Expected)[] takes = [(1, 3 * Node), (1, 2 * Node), (2 * Node, 0), (1, 1 * Node)];
        foreach ((long alignment, long expected) in takes)
        {
            Assert.True(allocator.TryAllocate(Node, alignment, out long offset));
            Assert.Equal(expected, offset);
        }

        Assert.Empty(allocator.GetFreeBlocks());

        allocator.Free(3 * Node, Node, 1);
        Assert.Equal([Block(3 * Node, Node)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();

        allocator.Free(1 * Node, Node, 1);
        Assert.Equal([Block(3 * Node, Node), Block(1 * Node, Node)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();

        allocator.Free(0, Node, 2 * Node);
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
    public void ByDefaultTheFullGreaterOrEqualEndGuardSkipsAnExactFitAtOffsetZero()
    {
        // §1 literally: growing an empty heap by one page for a PAGE request creates {0, PAGE}, and the
        // retry skips it because full >= end. The call fails with the heap grown (the documented exception).
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 4), new FreeListOptions { CheckedMode = true });
        Assert.False(allocator.ExactFitAtHeapBase);
        Assert.False(allocator.TryAllocate(Page, 1, out _));
        Assert.Equal(1, allocator.PageCount);
        Assert.Equal([Block(0, Page)], allocator.GetFreeBlocks());
        allocator.CheckInvariants();

        // The next identical request grows again; the merged block [0, 2 PAGE) now fits above 0.
        Assert.True(allocator.TryAllocate(Page, 1, out long offset));
        Assert.Equal(Page, offset);
        Assert.Equal([Block(0, Page)], allocator.GetFreeBlocks());

        // A NODE request against {0, NODE}-style exact fits at 0 is skipped the same way, so it grows.
        var small = new FreeListAllocator(new SlabLinearMemory(maxPages: 4));
        Assert.True(small.TryAllocate(Page - Node, 1, out long high));
        Assert.Equal(Node, high);
        Assert.Equal([Block(0, Node)], small.GetFreeBlocks());
        Assert.True(small.TryAllocate(1, 1, out long grown));
        Assert.Equal(2, small.PageCount);
        Assert.Equal((2 * Page) - Node, grown);
        Assert.Equal([Block(Page, Page - Node), Block(0, Node)], small.GetFreeBlocks());
        small.CheckInvariants();
    }

    [Fact]
    public void TheExactFitPolicyTakesTheBlockAtOffsetZero()
    {
        var options = new FreeListOptions { CheckedMode = true, ExactFitAtHeapBase = true };
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 1), options);
        Assert.True(allocator.ExactFitAtHeapBase);
        Assert.True(allocator.TryAllocate(Page, 1, out long offset));
        Assert.Equal(0, offset);
        Assert.Equal(1, allocator.PageCount);
        Assert.Empty(allocator.GetFreeBlocks());
        allocator.CheckInvariants();

        var small = new FreeListAllocator(new SlabLinearMemory(maxPages: 4), options);
        Assert.True(small.TryAllocate(Page - Node, 1, out _));
        Assert.True(small.TryAllocate(1, 1, out long low));
        Assert.Equal(0, low);
        Assert.Equal(1, small.PageCount);
        Assert.Empty(small.GetFreeBlocks());
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
