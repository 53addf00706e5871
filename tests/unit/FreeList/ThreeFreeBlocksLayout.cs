using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.FreeList;

/// <summary>
/// The one-page layout the free list's corruption and walk-rule tests corrupt, whatever the memory: live 16-byte
/// blocks at P-16, P-48, P-80, P-96 (P = PAGE) and the free list Top [P-32, P-16), Mid [P-64, P-48), Low [0, P-96).
/// </summary>
internal static class ThreeFreeBlocksLayout
{
    public const long Page = LinearMemory.PageBytes;

    /// <summary>Where a node's next word lies, from the node's start.</summary>
    public const long Next = 0;

    /// <summary>Where a node's size word lies, from the node's start.</summary>
    public const long Size = 8;

    public const long Top = Page - 32;
    public const long Mid = Page - 64;
    public const long Low = 0;

    /// <summary>On an empty one-page heap: six 16-byte allocations from the top, then the first and third freed.</summary>
    public static void CarveThreeFreeBlocks(FreeListAllocator allocator)
    {
        for (int i = 0; i < 6; i++)
        {
            Assert.True(allocator.TryAllocate(16, 1, out long offset));
            Assert.Equal(Page - (16 * (i + 1)), offset);
        }

        allocator.Free(Top, 16, 1);
        allocator.Free(Mid, 16, 1);
        Assert.Equal([new AddressRange(Top, 16), new AddressRange(Mid, 16), new AddressRange(Low, Page - 96)], allocator.GetFreeBlocks());
    }
}
