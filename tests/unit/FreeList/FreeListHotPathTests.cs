using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;

namespace Veralloc.Tests.Unit.FreeList;

public sealed class FreeListHotPathTests
{
    [Fact]
    public void UncheckedAllocateAndFreeAllocateNothingOnTheManagedHeap()
    {
        var allocator = new FreeListAllocator(new SlabLinearMemory(maxPages: 16, initialPages: 16));
        var offsets = new long[256];
        var sizes = new long[256];
        var random = new Random(7);
        for (int i = 0; i < sizes.Length; i++)
        {
            sizes[i] = random.Next(1, 300);
        }

        RunRound(allocator, offsets, sizes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 20; round++)
        {
            RunRound(allocator, offsets, sizes);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        allocator.CheckInvariants();
        Assert.Equal(allocator.HeapBytes, allocator.FreeBytes);
    }

    private static void RunRound(FreeListAllocator allocator, long[] offsets, long[] sizes)
    {
        for (int i = 0; i < offsets.Length; i++)
        {
            Assert.True(allocator.TryAllocate(sizes[i], 1L << (i % 7), out offsets[i]));
        }

        // Free every other block first, then the rest, so frees exercise all merge shapes.
        for (int i = 0; i < offsets.Length; i += 2)
        {
            allocator.Free(offsets[i], sizes[i], 1L << (i % 7));
        }

        for (int i = 1; i < offsets.Length; i += 2)
        {
            allocator.Free(offsets[i], sizes[i], 1L << (i % 7));
        }
    }
}
