using Veralloc.Allocators.Memory;

namespace Veralloc.Tests.Unit.Memory;

public sealed unsafe class NativeLinearMemoryTests
{
    [Fact]
    public void TheBaseIsPageAlignedAndStableAcrossGrowth()
    {
        using var memory = new NativeLinearMemory(maxPages: 8);
        nint before = memory.BaseAddress;
        Assert.Equal(0, before % LinearMemory.PageBytes);
        Assert.True(memory.TryGrow(3, out _));
        Assert.True(memory.TryGrow(5, out _));
        Assert.Equal(before, memory.BaseAddress);
        Assert.Equal((nint)memory.BasePointer, before);
    }

    [Fact]
    public void PointerAndWordAccessSeeTheSameBytes()
    {
        using var memory = new NativeLinearMemory(maxPages: 1, initialPages: 1);
        memory.WriteWord(64, 0x0102030405060708);
        Assert.Equal(0x08, memory.BasePointer[64]);
        memory.BasePointer[72] = 0x7F;
        Assert.Equal(0x7F, memory.ReadWord(72));
    }

    [Fact]
    public void GrowthFailsWhenTheReservationIsFull()
    {
        using var memory = new NativeLinearMemory(maxPages: 2);
        Assert.Equal(2, memory.MaxPages);
        Assert.False(memory.TryGrow(3, out _));
        Assert.Equal(0, memory.PageCount);
        Assert.True(memory.TryGrow(2, out _));
        Assert.False(memory.TryGrow(1, out _));
    }

    [Fact]
    public void AZeroPageReservationNeverGrows()
    {
        using var memory = new NativeLinearMemory(maxPages: 0);
        Assert.True(memory.TryGrow(0, out int previous));
        Assert.Equal(0, previous);
        Assert.False(memory.TryGrow(1, out _));
        Assert.Equal(0, memory.BaseAddress % LinearMemory.PageBytes);
    }

    [Fact]
    public void ConstructorRejectsBadPageCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeLinearMemory(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeLinearMemory(NativeLinearMemory.MaxReservationPages + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeLinearMemory(2, initialPages: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeLinearMemory(2, initialPages: -1));
    }

    [Fact]
    public void EveryMemberThrowsAfterDisposeAndDisposeIsIdempotent()
    {
        var memory = new NativeLinearMemory(maxPages: 2, initialPages: 1);
        memory.Dispose();
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => memory.PageCount);
        Assert.Throws<ObjectDisposedException>(() => memory.SizeBytes);
        Assert.Throws<ObjectDisposedException>(() => memory.MaxPages);
        Assert.Throws<ObjectDisposedException>(() => memory.BaseAddress);
        Assert.Throws<ObjectDisposedException>(() => memory.TryGrow(1, out _));
        Assert.Throws<ObjectDisposedException>(() => memory.ReadWord(0));
        Assert.Throws<ObjectDisposedException>(() => memory.WriteWord(0, 1));
        Assert.Throws<ObjectDisposedException>(() => memory.GetSpan(0, 1).Length);
    }
}
