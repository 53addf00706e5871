using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Reliability;
using Veralloc.Tests.Unit.Spec;
using static Veralloc.Tests.Unit.FreeList.ThreeFreeBlocksLayout;

namespace Veralloc.Tests.Unit.FreeList;

/// <summary>
/// The hot walks test each word with fewer compares than <c>ReadCheckedNext</c>/<c>ReadCheckedSize</c> spell out
/// (docs/design-notes/0018-freelist-walk-cost.md): a link's range test lets -NODE and -2 NODE through to a sign test,
/// and a size's alignment is tested after the fit decision. These are the words those shortcuts handle: each must
/// still be reported, at the node that holds it and with the id the full rule gives, before anything changes, by both
/// fit rules and by the neighbour walk, over a direct backing and over the interface path, in <see cref="ThreeFreeBlocksLayout"/>.
/// </summary>
public sealed class FreeListWalkRuleTests
{
    private const long Node = FreeListAllocator.NodeBytes;

    public enum Backing
    {
        Slab,
        Native,
        Interface,
    }

    public enum Operation
    {
        /// <summary>Alignment NODE: fits nothing before Low (the size-only fit rule).</summary>
        Allocate32,

        /// <summary>Alignment 64 (the general fit rule), same walk.</summary>
        Allocate32At64,

        /// <summary>Fits Top, the head.</summary>
        Allocate16,

        /// <summary>Fits nothing: the walk reads every word, Low's link included.</summary>
        AllocatePage,

        /// <summary>The neighbour walk passes Top and Mid and stops at Low.</summary>
        FreeBelowMid,
    }

    public static TheoryData<Backing, Operation, long, long, string> Cases()
    {
        var cases = new TheoryData<Backing, Operation, long, long, string>();
        foreach (Backing backing in Enum.GetValues<Backing>())
        {
            foreach (Operation operation in new[] { Operation.Allocate32, Operation.Allocate32At64, Operation.AllocatePage, Operation.FreeBelowMid })
            {
                // Links the range test lets through to the sign test, and links it must stop itself.
                cases.Add(backing, operation, Top + Next, -2 * Node, FreeListInvariantIds.Bounds);
                cases.Add(backing, operation, Mid + Next, -Node, FreeListInvariantIds.Bounds);
                cases.Add(backing, operation, Mid + Next, -2 * Node, FreeListInvariantIds.Bounds);
                cases.Add(backing, operation, Top + Next, -3 * Node, FreeListInvariantIds.Bounds);
                cases.Add(backing, operation, Mid + Next, -Node - 1, FreeListInvariantIds.Aligned);
                cases.Add(backing, operation, Top + Next, Top - Node, FreeListInvariantIds.NonAdjacent);
                cases.Add(backing, operation, Top + Next, Top, FreeListInvariantIds.Sorted);
                cases.Add(backing, operation, Top + Next, long.MaxValue & ~(Node - 1), FreeListInvariantIds.Sorted);
                cases.Add(backing, operation, Top + Next, long.MinValue, FreeListInvariantIds.Bounds);
            }

            // The lowest node (offset 0) admits no link but the end: only a walk that passes it reads its link.
            cases.Add(backing, Operation.AllocatePage, Low + Next, -Node, FreeListInvariantIds.Bounds);
            cases.Add(backing, Operation.AllocatePage, Low + Next, -2 * Node, FreeListInvariantIds.Bounds);
            cases.Add(backing, Operation.AllocatePage, Low + Next, 0, FreeListInvariantIds.Sorted);

            // A misaligned size in bounds: reported whether or not the block would fit.
            cases.Add(backing, Operation.Allocate32, Top + Size, 24, FreeListInvariantIds.Aligned);
            cases.Add(backing, Operation.Allocate32At64, Top + Size, 24, FreeListInvariantIds.Aligned);
            cases.Add(backing, Operation.Allocate16, Top + Size, 24, FreeListInvariantIds.Aligned);
            cases.Add(backing, Operation.Allocate32, Low + Size, Page - 96 - 8, FreeListInvariantIds.Aligned);
            cases.Add(backing, Operation.Allocate32At64, Low + Size, Page - 96 - 8, FreeListInvariantIds.Aligned);

            // Sizes out of bounds, at the head (the heap end is its limit) and below it.
            cases.Add(backing, Operation.Allocate32, Top + Size, 48, FreeListInvariantIds.Bounds);
            cases.Add(backing, Operation.Allocate32, Mid + Size, 32, FreeListInvariantIds.NonAdjacent);
            cases.Add(backing, Operation.Allocate32At64, Mid + Size, 0, FreeListInvariantIds.MinimumSize);
            cases.Add(backing, Operation.Allocate32, Low + Size, long.MinValue, FreeListInvariantIds.MinimumSize);

            // The neighbour walk's limits: the node above the merged-with neighbour (Top, for Mid) and the neighbour
            // above (Mid, for Low).
            cases.Add(backing, Operation.FreeBelowMid, Mid + Size, 32, FreeListInvariantIds.NonAdjacent);
            cases.Add(backing, Operation.FreeBelowMid, Low + Size, Page - 64, FreeListInvariantIds.NonAdjacent);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ACorruptedWordIsReportedAtItsNodeWithNothingChanged(Backing backing, Operation operation, long wordAt, long value, string expectedId)
    {
        (FreeListAllocator allocator, ILinearMemory bytes, IDisposable? owned) = Setup(backing);
        using (owned)
        {
            bytes.WriteWord(wordAt, value);
            byte[] before = bytes.GetSpan(0, (int)Page).ToArray();
            long freeBefore = allocator.FreeBytes;

            InvariantViolationException thrown = InvariantAssert.Violates(expectedId, () => Run(allocator, operation));

            long node = wordAt & ~(Node - 1);
            Assert.Equal($"node {node}", thrown.Violation.Subject);
            Assert.Equal(ExpectedMessage(node, wordAt - node == Size ? "size word" : "next link", value, expectedId), thrown.Message);
            Assert.Equal(before, bytes.GetSpan(0, (int)Page).ToArray());
            Assert.Equal(freeBefore, allocator.FreeBytes);
            Assert.Equal(1, allocator.PageCount);
        }
    }

    /// <summary>
    /// The whole message, which names the rule the word broke; a size out of bounds names the limit it ran past (the
    /// heap end for the head, else the node above: Top for Mid, Mid for Low).
    /// </summary>
    private static string ExpectedMessage(long node, string word, long value, string id)
    {
        string rule = (word, id) switch
        {
            (_, FreeListInvariantIds.Aligned) => "is not a multiple of NODE (16)",
            ("next link", FreeListInvariantIds.Bounds) => "lies outside the heap",
            ("next link", FreeListInvariantIds.Sorted) => "does not go down, so the list may be cyclic",
            ("next link", FreeListInvariantIds.NonAdjacent) => "leaves no room for a node and a gap below this one",
            ("size word", FreeListInvariantIds.MinimumSize) => "is below NODE (16)",
            ("size word", FreeListInvariantIds.Bounds) => $"runs past the heap end {Page}",
            ("size word", FreeListInvariantIds.NonAdjacent) => $"runs into or touches the free node above, at {(node == Mid ? Top : node == Low ? Mid : -1)}",
            _ => throw new ArgumentException($"no rule for a {word} reported as {id}", nameof(id)),
        };
        return $"{id} at node {node}: its {word} {value} {rule}: the list is corrupted (client code wrote into free memory?); nothing was changed";
    }

    [Theory]
    [InlineData(Backing.Slab)]
    [InlineData(Backing.Native)]
    [InlineData(Backing.Interface)]
    public void TheEndOfTheListIsFollowedFromEveryNodeHeight(Backing backing)
    {
        (FreeListAllocator allocator, ILinearMemory bytes, IDisposable? owned) = Setup(backing);
        using (owned)
        {
            // The list ends at Top, then at Mid: both walks must take the end from a node high in the heap.
            bytes.WriteWord(Top + Next, FreeListAllocator.EndOfList);
            Assert.False(allocator.TryAllocate(32, 16, out _));
            Assert.Equal([new AddressRange(Top, 16)], allocator.GetFreeBlocks());
            bytes.WriteWord(Top + Next, Mid);
            bytes.WriteWord(Mid + Next, FreeListAllocator.EndOfList);
            allocator.Free(Page - 80, 16, 16);
            Assert.Equal([new AddressRange(Top, 16), new AddressRange(Page - 80, 32)], allocator.GetFreeBlocks());
        }

        (allocator, bytes, owned) = Setup(backing);
        using (owned)
        {
            // Low [0, P-96) becomes [16, P-96): the list ends at offset 16, below 2 NODE, where the end fails the
            // link's range test and must still pass.
            bytes.WriteWord(Mid + Next, 16);
            bytes.WriteWord(16 + Next, FreeListAllocator.EndOfList);
            bytes.WriteWord(16 + Size, Page - 96 - 16);
            bytes.WriteWord(Page - 96 - 8, FreeListAllocator.Tag(16, Page - 96 - 16));
            Assert.False(allocator.TryAllocate(Page - 96, 16, out _));
            allocator.Free(0, 16, 16);
            Assert.Equal([new AddressRange(Top, 16), new AddressRange(Mid, 16), new AddressRange(0, Page - 96)], allocator.GetFreeBlocks());
        }
    }

    [Theory]
    [InlineData(Backing.Slab)]
    [InlineData(Backing.Native)]
    [InlineData(Backing.Interface)]
    public void AHugeAlignedRequestFitsNoSmallBlock(Backing backing)
    {
        // The only free block is [16, 32). For fullBytes = long.MaxValue - 15 at alignment 64, §1's highest position
        // (16 + 16 - fullBytes) & ~63 is long.MinValue: below the block, so no fit; a position taken as a difference
        // from the block would wrap to a large positive "fit" and carve at long.MinValue. (The exact-fit policy lets
        // the fill take [0, 16) too, so the block at 16 has no free neighbour.)
        (FreeListAllocator allocator, _, IDisposable? owned) = Setup(backing, exactFitAtHeapBase: true);
        using (owned)
        {
            while (allocator.TryAllocate(16, 16, out _))
            {
            }

            allocator.Free(16, 16, 16);
            Assert.Equal([new AddressRange(16, 16)], allocator.GetFreeBlocks());

            Assert.False(allocator.TryAllocate(long.MaxValue - 15, 64, out _));
            Assert.False(allocator.TryAllocate(long.MaxValue - 15, 16, out _));
            Assert.Equal([new AddressRange(16, 16)], allocator.GetFreeBlocks());
            Assert.Equal(16, allocator.FreeBytes);
            Assert.Equal(1, allocator.PageCount);
        }
    }

    private static void Run(FreeListAllocator allocator, Operation operation)
    {
        switch (operation)
        {
            case Operation.Allocate32:
                allocator.TryAllocate(32, 16, out _);
                break;
            case Operation.Allocate32At64:
                allocator.TryAllocate(32, 64, out _);
                break;
            case Operation.Allocate16:
                allocator.TryAllocate(16, 16, out _);
                break;
            case Operation.AllocatePage:
                allocator.TryAllocate(Page, 16, out _);
                break;
            default:
                allocator.Free(Page - 80, 16, 16);
                break;
        }
    }

    private static (FreeListAllocator Allocator, ILinearMemory Bytes, IDisposable? Owned) Setup(Backing backing, bool exactFitAtHeapBase = false)
    {
        ILinearMemory bytes;
        ILinearMemory heap;
        IDisposable? owned = null;
        switch (backing)
        {
            case Backing.Native:
                var native = new NativeLinearMemory(maxPages: 1);
                bytes = heap = native;
                owned = native;
                break;
            case Backing.Interface:
                bytes = new SlabLinearMemory(maxPages: 1);
                heap = new GuardedMemory(bytes);
                break;
            default:
                bytes = heap = new SlabLinearMemory(maxPages: 1);
                break;
        }

        var allocator = new FreeListAllocator(heap, new FreeListOptions { ExactFitAtHeapBase = exactFitAtHeapBase });
        CarveThreeFreeBlocks(allocator);
        return (allocator, bytes, owned);
    }
}
