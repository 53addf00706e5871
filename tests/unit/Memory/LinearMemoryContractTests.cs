using Veralloc.Allocators.Memory;

namespace Veralloc.Tests.Unit.Memory;

/// <summary>The <see cref="ILinearMemory"/> contract, run against every backing.</summary>
public sealed class LinearMemoryContractTests
{
    private const int Page = LinearMemory.PageBytes;

    public static TheoryData<string> Backings => new() { "slab", "native", "fault-injecting" };

    private static ILinearMemory Create(string backing, int maxPages, int initialPages = 0) => backing switch
    {
        "slab" => new SlabLinearMemory(maxPages, initialPages),
        "native" => new NativeLinearMemory(maxPages, initialPages),
        "fault-injecting" => new FaultInjectingMemory(new SlabLinearMemory(maxPages, initialPages)),
        _ => throw new ArgumentOutOfRangeException(nameof(backing), backing, "unknown backing"),
    };

    private static void DisposeIfNeeded(ILinearMemory memory) => (memory as IDisposable)?.Dispose();

    [Theory]
    [MemberData(nameof(Backings))]
    public void GrowthReturnsThePreviousPageCountAndNewPagesStartThere(string backing)
    {
        ILinearMemory memory = Create(backing, maxPages: 4);
        try
        {
            Assert.Equal(0, memory.PageCount);
            Assert.True(memory.TryGrow(1, out int first));
            Assert.Equal(0, first);
            Assert.True(memory.TryGrow(2, out int second));
            Assert.Equal(1, second);
            Assert.Equal(3, memory.PageCount);
            Assert.Equal(3L * Page, memory.SizeBytes);

            // The new pages start at previous * PAGE: the first word there is writable, the word before is the old end.
            memory.WriteWord((long)second * Page, 0x1122334455667788);
            Assert.Equal(0x1122334455667788, memory.ReadWord((long)second * Page));
            Assert.Equal(0x88, memory.GetSpan((long)second * Page, 1)[0]);
        }
        finally
        {
            DisposeIfNeeded(memory);
        }
    }

    [Theory]
    [MemberData(nameof(Backings))]
    public void NewPagesAreZeroedAndGrowingByZeroReportsThePageCount(string backing)
    {
        ILinearMemory memory = Create(backing, maxPages: 2, initialPages: 1);
        try
        {
            Assert.True(memory.TryGrow(0, out int previous));
            Assert.Equal(1, previous);
            Assert.True(memory.TryGrow(1, out _));
            Assert.All(memory.GetSpan(0, 2 * Page).ToArray(), b => Assert.Equal(0, b));
        }
        finally
        {
            DisposeIfNeeded(memory);
        }
    }

    [Theory]
    [MemberData(nameof(Backings))]
    public void FailedGrowthChangesNothing(string backing)
    {
        ILinearMemory memory = Create(backing, maxPages: 3);
        try
        {
            Assert.True(memory.TryGrow(2, out _));
            memory.WriteWord(8, 42);
            Assert.False(memory.TryGrow(2, out _));
            Assert.Equal(2, memory.PageCount);
            Assert.Equal(42, memory.ReadWord(8));
            Assert.True(memory.TryGrow(1, out int previous));
            Assert.Equal(2, previous);
            Assert.False(memory.TryGrow(1, out _));
            Assert.Equal(3, memory.PageCount);
        }
        finally
        {
            DisposeIfNeeded(memory);
        }
    }

    [Theory]
    [MemberData(nameof(Backings))]
    public void AccessOutsideTheMemoryOrMisalignedWordsThrow(string backing)
    {
        ILinearMemory memory = Create(backing, maxPages: 2, initialPages: 1);
        try
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.ReadWord(Page));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.ReadWord(-8));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.WriteWord(Page - 4, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.ReadWord(4));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.GetSpan(Page - 1, 2));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.GetSpan(0, -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.GetSpan(long.MaxValue, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.TryGrow(-1, out _));
            Assert.Equal(1, memory.PageCount);
            Assert.Equal(Page, memory.GetSpan(0, Page).Length);
            Assert.Equal(0, memory.GetSpan(Page, 0).Length);
        }
        finally
        {
            DisposeIfNeeded(memory);
        }
    }

    [Theory]
    [MemberData(nameof(Backings))]
    public void WordsAreLittleEndian(string backing)
    {
        ILinearMemory memory = Create(backing, maxPages: 1, initialPages: 1);
        try
        {
            memory.WriteWord(16, -2);
            Assert.Equal(0xFE, memory.GetSpan(16, 1)[0]);
            Assert.Equal(0xFF, memory.GetSpan(23, 1)[0]);
            Assert.Equal(-2, memory.ReadWord(16));
        }
        finally
        {
            DisposeIfNeeded(memory);
        }
    }
}
