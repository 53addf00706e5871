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

        // The runtime itself may allocate once on this thread (tiered JIT promotion, OSR) at a
        // moment we do not control, so take the quietest of several windows: an allocation on the
        // hot path would show up in every window, 20 x 512 times.
        long quietest = long.MaxValue;
        for (int window = 0; window < 5; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int round = 0; round < 20; round++)
            {
                RunRound(allocator, offsets, sizes);
            }

            quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, quietest);
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
