using Veralloc.Allocators;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;

namespace Veralloc.Tests.Unit.Textbook;

public sealed class FixedSizeBlockAllocatorTests
{
    [Theory]
    [InlineData(1, 1, 8)]
    [InlineData(8, 1, 8)]
    [InlineData(9, 1, 16)]
    [InlineData(8, 64, 64)]
    [InlineData(100, 32, 128)]
    [InlineData(2048, 1, 2048)]
    [InlineData(1, 2048, 2048)]
    [InlineData(2049, 1, 0)]
    [InlineData(1, 4096, 0)]
    public void RequestGoesToTheSmallestClassAtLeastMaxOfSizeAndAlignment(long size, long alignment, long expectedClass)
    {
        Assert.Equal(expectedClass, FixedSizeBlockAllocator.ClassBytesFor(size, alignment));
    }

    [Fact]
    public void EmptyClassListTakesAClassSizedClassAlignedBlockFromTheFallback()
    {
        var fallback = new RecordingAllocator(new BumpAllocator(0, 1 << 16));
        var allocator = new FixedSizeBlockAllocator(fallback, new SlabLinearMemory(1, 1));

        Assert.True(allocator.TryAllocate(24, 8, out long offset));

        Assert.Equal([(32L, 32L)], fallback.Allocations);
        Assert.Equal(0, offset);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreedBlocksAreReusedLastInFirstOutWithinTheirClass()
    {
        var fallback = new RecordingAllocator(new BumpAllocator(0, 1 << 16));
        var allocator = new FixedSizeBlockAllocator(fallback, new SlabLinearMemory(1, 1));
        Assert.True(allocator.TryAllocate(20, 1, out long a));
        Assert.True(allocator.TryAllocate(30, 1, out long b));
        allocator.Free(a, 20, 1);
        allocator.Free(b, 30, 1);

        Assert.Equal(2, allocator.FreeBlocksInClass(32));
        Assert.Equal(b, allocator.ClassHead(32));
        Assert.True(allocator.TryAllocate(17, 32, out long first));
        Assert.True(allocator.TryAllocate(32, 1, out long second));
        Assert.True(allocator.TryAllocate(9, 1, out long otherClass));

        Assert.Equal(b, first);
        Assert.Equal(a, second);
        Assert.Equal(64, otherClass);
        Assert.Equal([(32L, 32L), (32L, 32L), (16L, 16L)], fallback.Allocations);
        allocator.CheckInvariants();
    }

    [Fact]
    public void RequestsAboveTheLargestClassAreForwardedUnchanged()
    {
        var fallback = new RecordingAllocator(new SegregatedFitAllocator(1 << 16));
        var allocator = new FixedSizeBlockAllocator(fallback, new SlabLinearMemory(1, 1));

        Assert.True(allocator.TryAllocate(3000, 8, out long big));
        Assert.True(allocator.TryAllocate(1, 4096, out long aligned));
        allocator.Free(big, 3000, 8);
        allocator.Free(aligned, 1, 4096);

        Assert.Equal([(3000L, 8L), (1L, 4096L)], fallback.Allocations);
        Assert.Equal([(big, 3000L, 8L), (aligned, 1L, 4096L)], fallback.Frees);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreeListFallbackServesClassBlocksFromTheTopOfTheGrownHeap()
    {
        // §1: a fresh free list grows one page and carves from the top; the class block (32, 32) lands at PAGE - 32.
        var memory = new SlabLinearMemory(maxPages: 2);
        var allocator = new FixedSizeBlockAllocator(new FreeListAllocator(memory), memory);

        Assert.True(allocator.TryAllocate(20, 1, out long block));
        allocator.Free(block, 20, 1);
        Assert.True(allocator.TryAllocate(32, 32, out long reused));

        Assert.Equal(LinearMemory.PageBytes - 32, block);
        Assert.Equal(block, reused);
        Assert.Equal(1, memory.PageCount);
        allocator.CheckInvariants();
    }

    [Fact]
    public void FallbackFailureIsReportedAsFalse()
    {
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 16), new SlabLinearMemory(1, 1));
        Assert.True(allocator.TryAllocate(16, 1, out _));

        Assert.False(allocator.TryAllocate(8, 1, out _));
        Assert.False(allocator.TryAllocate(5000, 1, out _));
        allocator.CheckInvariants();
    }

    [Theory]
    [InlineData(0, 1, "size")]
    [InlineData(-1, 1, "size")]
    [InlineData(8, 6, "alignment")]
    [InlineData(8, 1L << 21, "alignment")]
    public void BadRequestsThrowAndChangeNothing(long size, long alignment, string parameter)
    {
        var fallback = new RecordingAllocator(new BumpAllocator(0, 1 << 16));
        var allocator = new FixedSizeBlockAllocator(fallback, new SlabLinearMemory(1, 1));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => allocator.TryAllocate(size, alignment, out _));

        Assert.Equal(parameter, error.ParamName);
        Assert.Empty(fallback.Allocations);
        allocator.CheckInvariants();
    }

    [Theory]
    [InlineData(8, 16, "not a multiple of its class size 16")]
    [InlineData(-16, 16, "must lie inside the memory")]
    [InlineData(65536, 16, "must lie inside the memory")]
    public void FreeOfABlockThatCannotBelongToItsClassThrowsAndChangesNothing(long offset, long size, string message)
    {
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 1 << 16), new SlabLinearMemory(1, 1));

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(offset, size, 1));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, allocator.FreeBlocksInClass(16));
        allocator.CheckInvariants();
    }

    [Fact]
    public void ImmediateDoubleFreeThrowsAndChangesNothing()
    {
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 1 << 16), new SlabLinearMemory(1, 1));
        Assert.True(allocator.TryAllocate(16, 1, out long a));
        allocator.Free(a, 16, 1);

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(a, 16, 1));

        Assert.Contains("double free", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, allocator.FreeBlocksInClass(16));
        allocator.CheckInvariants();
    }

    [Fact]
    public void FreeBlocksInClassRejectsANonClassSize()
    {
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 1 << 16), new SlabLinearMemory(1, 1));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => allocator.FreeBlocksInClass(24));

        Assert.Contains("The class size is 24", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Corrupts the structure so that exactly FSB-CLASS is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.FixedSizeClass)]
    public void ClassViolationIsReportedAfterAUseAfterFreeWriteCorruptsALink()
    {
        (FixedSizeBlockAllocator allocator, _) = OneListedBlockLinkedTo(8);

        AssertViolation(allocator, TextbookInvariantIds.FixedSizeClass);
    }

    /// <summary>Corrupts the structure so that exactly FSB-ACYCLIC is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.FixedSizeAcyclic)]
    public void AcyclicViolationIsReportedForACycle()
    {
        var memory = new SlabLinearMemory(1, 1);
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 1 << 16), memory);
        Assert.True(allocator.TryAllocate(16, 1, out long a));
        Assert.True(allocator.TryAllocate(16, 1, out long b));
        allocator.Free(a, 16, 1);
        allocator.Free(b, 16, 1);
        memory.WriteWord(a, b);

        AssertViolation(allocator, TextbookInvariantIds.FixedSizeAcyclic);
    }

    /// <summary>Corrupts the structure so that exactly FSB-ACYCLIC is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.FixedSizeAcyclic)]
    public void AcyclicViolationIsReportedForAListShorterThanRecorded()
    {
        var memory = new SlabLinearMemory(1, 1);
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 1 << 16), memory);
        Assert.True(allocator.TryAllocate(16, 1, out long a));
        Assert.True(allocator.TryAllocate(16, 1, out long b));
        allocator.Free(a, 16, 1);
        allocator.Free(b, 16, 1);
        memory.WriteWord(b, -1);

        AssertViolation(allocator, TextbookInvariantIds.FixedSizeAcyclic);
    }

    /// <summary>Corrupts the structure so that exactly FSB-DISJOINT is reported (Free itself refuses the interior block, so a hook pushes it).</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.FixedSizeDisjoint)]
    public void DisjointViolationIsReportedWhenABlockIsPushedIntoTwoClasses()
    {
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 1 << 16), new SlabLinearMemory(1, 1));
        Assert.True(allocator.TryAllocate(32, 1, out long a));
        allocator.Free(a, 32, 1);
        allocator.PushUncheckedForTest(a + 16, 16);

        AssertViolation(allocator, TextbookInvariantIds.FixedSizeDisjoint);
    }

    /// <summary>Corrupts the structure so that exactly FSB-OWNED is reported: a listed link now leads to a live block whose first word reads -1.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.FixedSizeOwned)]
    public void OwnedViolationIsReportedForALinkToALiveBlock()
    {
        (FixedSizeBlockAllocator allocator, SlabLinearMemory memory, long listed, long live) = ListedBlockLinkedToALiveOne();

        AssertViolation(allocator, TextbookInvariantIds.FixedSizeOwned);
        Assert.Equal(listed, allocator.ClassHead(16));
        Assert.Equal(live, memory.ReadWord(listed));
    }

    [Fact]
    public void APopThroughALinkToALiveBlockIsRefused()
    {
        (FixedSizeBlockAllocator allocator, _, long listed, long live) = ListedBlockLinkedToALiveOne();
        Assert.True(allocator.TryAllocate(16, 1, out long first));
        Assert.Equal(listed, first);

        var error = Assert.Throws<InvariantViolationException>(() => allocator.TryAllocate(16, 1, out _));

        Assert.Equal(TextbookInvariantIds.FixedSizeOwned, error.InvariantId);
        Assert.Contains($"block@{live}", error.Message, StringComparison.Ordinal);
        Assert.Equal(live, allocator.ClassHead(16));
        Assert.Equal(1, allocator.FreeBlocksInClass(16));
    }

    [Fact]
    public void APopThroughALinkOutsideTheMemoryIsRefused()
    {
        (FixedSizeBlockAllocator allocator, long a) = OneListedBlockLinkedTo(1L << 40);

        var error = Assert.Throws<InvariantViolationException>(() => allocator.TryAllocate(16, 1, out _));

        Assert.Equal(TextbookInvariantIds.FixedSizeClass, error.InvariantId);
        Assert.Contains((1L << 40).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Equal(a, allocator.ClassHead(16));
        Assert.Equal(1, allocator.FreeBlocksInClass(16));
    }

    [Fact]
    public void FreeOfABlockNeverHandedOutThrowsAndChangesNothing()
    {
        var memory = new SlabLinearMemory(2, 2);
        var allocator = new FixedSizeBlockAllocator(new SegregatedFitAllocator(memory.SizeBytes), memory);
        Assert.True(allocator.TryAllocate(64, 64, out long live));

        var foreign = Assert.Throws<ArgumentException>(() => allocator.Free(65536, 64, 64));
        var interior = Assert.Throws<ArgumentException>(() => allocator.Free(live + 32, 32, 32));

        Assert.Contains("Offset 65536 is not a 64-byte block this allocator handed out", foreign.Message, StringComparison.Ordinal);
        Assert.Contains($"Offset {live + 32} is not a 32-byte block", interior.Message, StringComparison.Ordinal);
        Assert.Equal(0, allocator.FreeBlocksInClass(64));
        Assert.Equal(0, allocator.FreeBlocksInClass(32));
        allocator.CheckInvariants();
    }

    [Theory]
    [InlineData(32, 32)]
    [InlineData(128, 1)]
    [InlineData(5000, 1)]
    [InlineData(1, 4096)]
    public void FreeWithTheSizeOrAlignmentOfAnotherClassThrowsAndChangesNothing(long size, long alignment)
    {
        var memory = new SlabLinearMemory(2, 2);
        var fallback = new SegregatedFitAllocator(memory.SizeBytes);
        var allocator = new FixedSizeBlockAllocator(fallback, memory);
        Assert.True(allocator.TryAllocate(64, 64, out long block));

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(block, size, alignment));

        Assert.Contains($"was handed out as a 64-byte class block", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, fallback.UsedBlockCount);
        Assert.Equal(0, allocator.FreeBlocksInClass(FixedSizeBlockAllocator.ClassBytesFor(size, alignment) is 0 ? 64 : FixedSizeBlockAllocator.ClassBytesFor(size, alignment)));
        allocator.Free(block, 64, 64);
        allocator.CheckInvariants();
    }

    [Fact]
    public void AnOlderDoubleFreeThrowsAndChangesNothing()
    {
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 1 << 16), new SlabLinearMemory(1, 1));
        Assert.True(allocator.TryAllocate(16, 1, out long a));
        Assert.True(allocator.TryAllocate(16, 1, out long b));
        allocator.Free(a, 16, 1);
        allocator.Free(b, 16, 1);

        var error = Assert.Throws<ArgumentException>(() => allocator.Free(a, 16, 1));

        Assert.Contains("double free", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, allocator.FreeBlocksInClass(16));
        Assert.Equal(b, allocator.ClassHead(16));
        allocator.CheckInvariants();
    }

    /// <summary>Class 16 lists one block whose link a use-after-free write then set to <paramref name="link"/>.</summary>
    private static (FixedSizeBlockAllocator Allocator, long Block) OneListedBlockLinkedTo(long link)
    {
        var memory = new SlabLinearMemory(1, 1);
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 1 << 16), memory);
        Assert.True(allocator.TryAllocate(16, 1, out long a));
        allocator.Free(a, 16, 1);
        memory.WriteWord(a, link);
        return (allocator, a);
    }

    /// <summary>
    /// Class 16 lists two blocks; the head's link (a stray client write) now skips the second and points at a live
    /// class-16 block holding -1, so the list keeps its recorded length and every link is class-aligned.
    /// </summary>
    private static (FixedSizeBlockAllocator Allocator, SlabLinearMemory Memory, long Listed, long Live) ListedBlockLinkedToALiveOne()
    {
        var memory = new SlabLinearMemory(1, 1);
        var allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, 1 << 16), memory);
        Assert.True(allocator.TryAllocate(16, 1, out long skipped));
        Assert.True(allocator.TryAllocate(16, 1, out long listed));
        Assert.True(allocator.TryAllocate(16, 1, out long live));
        allocator.Free(skipped, 16, 1);
        allocator.Free(listed, 16, 1);
        memory.WriteWord(live, -1);
        memory.WriteWord(listed, live);
        return (allocator, memory, listed, live);
    }

    /// <summary>Corrupts the structure so that exactly the fallback's BUMP-BOUNDS is reported.</summary>
    [Fact]
    [TriggersInvariant(TextbookInvariantIds.BumpBounds)]
    public void FallbackViolationsSurface()
    {
        var bump = new BumpAllocator(0, 1 << 16);
        var allocator = new FixedSizeBlockAllocator(bump, new SlabLinearMemory(1, 1));
        Assert.True(allocator.TryAllocate(5000, 1, out _));
        bump.SetNextForTest(-1);

        AssertViolation(allocator, TextbookInvariantIds.BumpBounds);
    }

    private static void AssertViolation(FixedSizeBlockAllocator allocator, string expectedId) =>
        InvariantAssert.Violates(expectedId, allocator.CheckInvariants);

    /// <summary>Records the calls that reach the fallback, then delegates.</summary>
    private sealed class RecordingAllocator(IOffsetAllocator inner) : IOffsetAllocator
    {
        public List<(long Size, long Alignment)> Allocations { get; } = [];

        public List<(long Offset, long Size, long Alignment)> Frees { get; } = [];

        public bool TryAllocate(long size, long alignment, out long offset)
        {
            Allocations.Add((size, alignment));
            return inner.TryAllocate(size, alignment, out offset);
        }

        public void Free(long offset, long size, long alignment)
        {
            Frees.Add((offset, size, alignment));
            inner.Free(offset, size, alignment);
        }

        public void CheckInvariants() => inner.CheckInvariants();
    }
}
