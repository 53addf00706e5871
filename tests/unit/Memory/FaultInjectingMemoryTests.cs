using Veralloc.Allocators.Memory;

namespace Veralloc.Tests.Unit.Memory;

public sealed class FaultInjectingMemoryTests
{
    [Fact]
    public void FailNextGrowthsFailsExactlyThatManyAttemptsAndChangesNothing()
    {
        var inner = new SlabLinearMemory(maxPages: 8);
        var memory = new FaultInjectingMemory(inner);
        memory.FailNextGrowths(2);
        Assert.False(memory.TryGrow(1, out _));
        Assert.False(memory.TryGrow(1, out _));
        Assert.Equal(0, inner.PageCount);
        Assert.True(memory.TryGrow(1, out int previous));
        Assert.Equal(0, previous);
        Assert.Equal(3, memory.GrowthAttempts);
        Assert.Equal(2, memory.InjectedFailures);
        Assert.Equal(1, inner.PageCount);
    }

    [Fact]
    public void FailGrowthsFromFailsEveryAttemptFromThatIndexUntilHealed()
    {
        var memory = new FaultInjectingMemory(new SlabLinearMemory(maxPages: 8));
        memory.FailGrowthsFrom(2);
        Assert.True(memory.TryGrow(1, out _));
        Assert.True(memory.TryGrow(1, out _));
        Assert.False(memory.TryGrow(1, out _));
        Assert.False(memory.TryGrow(0, out _));
        Assert.Equal(2, memory.PageCount);
        memory.Heal();
        Assert.True(memory.TryGrow(1, out int previous));
        Assert.Equal(2, previous);
        Assert.Equal(5, memory.GrowthAttempts);
        Assert.Equal(2, memory.InjectedFailures);
    }

    [Fact]
    public void APredicateSeesTheAttemptIndexAndPageCount()
    {
        var memory = new FaultInjectingMemory(new SlabLinearMemory(maxPages: 8));
        var seen = new List<(long Attempt, int Pages)>();
        memory.FailWhen((attempt, pages) =>
        {
            seen.Add((attempt, pages));
            return pages > 1;
        });
        Assert.True(memory.TryGrow(1, out _));
        Assert.False(memory.TryGrow(2, out _));
        Assert.Equal([(0L, 1), (1L, 2)], seen);
        Assert.Equal(1, memory.PageCount);
    }

    [Fact]
    public void TheInnerLimitStillApplies()
    {
        var memory = new FaultInjectingMemory(new SlabLinearMemory(maxPages: 1));
        Assert.False(memory.TryGrow(2, out _));
        Assert.Equal(0, memory.InjectedFailures);
        Assert.Equal(1, memory.GrowthAttempts);
    }

    [Fact]
    public void ArgumentsAreValidatedBeforeCounting()
    {
        Assert.Throws<ArgumentNullException>(() => new FaultInjectingMemory(null!));
        var memory = new FaultInjectingMemory(new SlabLinearMemory(maxPages: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.TryGrow(-1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.FailNextGrowths(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.FailGrowthsFrom(-1));
        Assert.Equal(0, memory.GrowthAttempts);
    }
}
