using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.Invariants;

/// <summary>The bounded walk that keeps a corrupted singly linked list from hanging a checker.</summary>
public sealed class BoundedWalkTests
{
    private const string Id = "TEST-WALK";

    /// <summary>A list through an array: <c>next[i]</c> is the successor of <c>i</c>, -1 ends it.</summary>
    private static InvariantViolation? Walk(int first, int[] next, long maxElements, List<int> visited) =>
        BoundedWalk.Collect(first, id => id == -1, id => next[id], maxElements, visited, Id, "test list");

    [Fact]
    public void AListOfExactlyTheBoundIsWalkedWhole()
    {
        var visited = new List<int>();
        Assert.Null(Walk(2, [-1, 0, 1], maxElements: 3, visited));
        Assert.Equal([2, 1, 0], visited);
    }

    [Fact]
    public void AnEmptyListNeedsNoRoom()
    {
        var visited = new List<int>();
        Assert.Null(Walk(-1, [], maxElements: 0, visited));
        Assert.Empty(visited);
    }

    [Fact]
    public void OneElementPastTheBoundIsReported()
    {
        var visited = new List<int>();
        Assert.Equal(
            "TEST-WALK at test list element #2 0: the walk did not end within 2 elements, the most a well-formed test list can hold: the list is cyclic or corrupted",
            Walk(2, [-1, 0, 1], maxElements: 2, visited)?.ToString());
        Assert.Equal([2, 1], visited);
    }

    [Fact]
    public void ACycleEndsAtTheBound()
    {
        var visited = new List<int>();
        Assert.NotNull(Walk(0, [1, 0], maxElements: 5, visited));
        Assert.Equal([0, 1, 0, 1, 0], visited);
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeAnyStep()
    {
        var visited = new List<int>();
        Assert.Throws<ArgumentNullException>(() => BoundedWalk.Collect(0, null!, id => id, 1, visited, Id, "test list"));
        Assert.Throws<ArgumentNullException>(() => BoundedWalk.Collect(0, id => true, null!, 1, visited, Id, "test list"));
        Assert.Throws<ArgumentNullException>(() => BoundedWalk.Collect(0, id => true, id => id, 1, null!, Id, "test list"));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => BoundedWalk.Collect(0, id => true, id => id, -1, visited, Id, "test list"));
        Assert.Equal("maxElements", error.ParamName);
    }
}
