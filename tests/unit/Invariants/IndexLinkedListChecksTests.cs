using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.Invariants;

/// <summary>
/// The intrusive-list checker behind SLOT-LINKS, SLOT-WARM and the size-class lists, called directly on hand-built
/// link arrays: every rule it states is broken once, the message is checked whole, and the members it returns on
/// success are the list in order.
/// </summary>
public sealed class IndexLinkedListChecksTests
{
    private const string Id = "TEST-LINKS";
    private const int None = IndexLinkedListChecks.None;

    /// <summary>Capacity 5; the list 3 -> 0 -> 4; ids 1 and 2 are on no list.</summary>
    private static (int[] Prev, int[] Next) ThreeElementList()
    {
        int[] prev = [3, None, None, None, 0];
        int[] next = [4, None, None, 0, None];
        return (prev, next);
    }

    private static string? Links(int head, int tail, int[] prev, int[] next, List<int>? members = null) =>
        IndexLinkedListChecks.CheckLinks("test list", head, tail, prev, next, members ?? [], Id)?.ToString();

    [Fact]
    public void AWellFormedListPassesAndItsMembersComeBackInOrder()
    {
        var (prev, next) = ThreeElementList();
        var members = new List<int> { 99 };
        Assert.Null(Links(3, 4, prev, next, members));
        Assert.Equal([3, 0, 4], members);
    }

    [Fact]
    public void AnEmptyListPassesAndClearsTheMembers()
    {
        var members = new List<int> { 99 };
        Assert.Null(Links(None, None, [None, None], [None, None], members));
        Assert.Empty(members);
    }

    [Fact]
    public void AListOfOneElementThatFillsTheCapacityPasses()
    {
        var members = new List<int>();
        Assert.Null(Links(0, 0, [None], [None], members));
        Assert.Equal([0], members);
    }

    [Fact]
    public void AListThatUsesEveryIdPasses()
    {
        var members = new List<int>();
        Assert.Null(Links(0, 2, [None, 0, 1], [1, 2, None], members));
        Assert.Equal([0, 1, 2], members);
    }

    [Fact]
    public void HeadAndTailMustBeNoneTogether()
    {
        var (prev, next) = ThreeElementList();
        Assert.Equal("TEST-LINKS at test list: head is 3 but tail is none: both must be none or neither", Links(3, None, prev, next));
        Assert.Equal("TEST-LINKS at test list: head is none but tail is 4: both must be none or neither", Links(None, 4, prev, next));
    }

    [Theory]
    [InlineData(5, 4)]
    [InlineData(3, 5)]
    [InlineData(-2, 4)]
    [InlineData(3, -2)]
    public void HeadAndTailMustBeIds(int head, int tail)
    {
        var (prev, next) = ThreeElementList();
        Assert.Equal($"TEST-LINKS at test list: head {head} or tail {tail} is outside 0..4", Links(head, tail, prev, next));
    }

    [Fact]
    public void TheHeadHasNoPredecessorAndTheTailNoSuccessor()
    {
        var (prev, next) = ThreeElementList();
        prev[3] = 2;
        Assert.Equal("TEST-LINKS at test list head 3: prev of the head must be none but is 2", Links(3, 4, prev, next));

        (prev, next) = ThreeElementList();
        next[4] = 1;
        Assert.Equal("TEST-LINKS at test list tail 4: next of the tail must be none but is 1", Links(3, 4, prev, next));
    }

    [Fact]
    public void AWalkThatEndsBeforeTheTailIsReported()
    {
        var (prev, next) = ThreeElementList();
        next[0] = None;
        Assert.Equal("TEST-LINKS at test list element 0: the walk ended at 0, not at the tail 4", Links(3, 4, prev, next));
    }

    [Fact]
    public void ALinkOutsideTheIdsIsReported()
    {
        var (prev, next) = ThreeElementList();
        next[0] = 5;
        Assert.Equal("TEST-LINKS at test list element 0: next is 5, outside 0..4", Links(3, 4, prev, next));
        next[0] = -7;
        Assert.Equal("TEST-LINKS at test list element 0: next is -7, outside 0..4", Links(3, 4, prev, next));
    }

    [Fact]
    public void ForwardAndBackwardLinksMustAgree()
    {
        var (prev, next) = ThreeElementList();
        prev[4] = 3;
        Assert.Equal("TEST-LINKS at test list element 4: next[0] = 4 but prev[4] = 3; they must agree", Links(3, 4, prev, next));
        prev[4] = None;
        Assert.Equal("TEST-LINKS at test list element 4: next[0] = 4 but prev[4] = none; they must agree", Links(3, 4, prev, next));
    }

    [Fact]
    public void ACycleIsCaughtWhereItReentersAnElement()
    {
        // 2 -> 0 -> 1 -> 0 -> ...: the second arrival at 0 comes from 1, but prev[0] still says 2. (With every
        // backward link agreeing, a walk from a head whose prev is none cannot revisit an element, so this check, not
        // the step bound, is what stops a cycle.)
        Assert.Equal(
            "TEST-LINKS at test list element 0: next[1] = 0 but prev[0] = 2; they must agree",
            Links(2, 3, [2, 0, None, None], [1, 0, 0, None]));
    }

    [Fact]
    public void LinkArraysOfDifferentLengthsAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Links(None, None, [None], [None, None]));
        Assert.Equal("prev", error.ParamName);
        Assert.StartsWith("prev has 1 entries but next has 2; both must have one per id.", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => IndexLinkedListChecks.CheckLinks("test list", None, None, [None], [None], null!, Id));
    }

    [Fact]
    public void MembershipAcceptsExactlyTheIdsThatBelong()
    {
        Assert.Null(IndexLinkedListChecks.CheckMembership("test list", [3, 0, 4], 5, id => id is 0 or 3 or 4, Id));
        Assert.Null(IndexLinkedListChecks.CheckMembership("test list", [], 5, _ => false, Id));
    }

    [Fact]
    public void MembershipReportsEachWayAnIdCanBeWrong()
    {
        Assert.Equal("TEST-LINKS at test list element 5: id is outside 0..4",
            IndexLinkedListChecks.CheckMembership("test list", [0, 5], 5, _ => true, Id)?.ToString());
        Assert.Equal("TEST-LINKS at test list element -1: id is outside 0..4",
            IndexLinkedListChecks.CheckMembership("test list", [-1], 5, _ => true, Id)?.ToString());
        Assert.Equal("TEST-LINKS at test list element 3: the id appears more than once",
            IndexLinkedListChecks.CheckMembership("test list", [3, 0, 3], 5, _ => true, Id)?.ToString());
        Assert.Equal("TEST-LINKS at test list element 0: the id is on the list but does not belong there",
            IndexLinkedListChecks.CheckMembership("test list", [3, 0], 5, id => id == 3, Id)?.ToString());
        Assert.Equal("TEST-LINKS at slot 4: the id belongs on the test list but is missing from it",
            IndexLinkedListChecks.CheckMembership("test list", [3, 0], 5, id => id is 0 or 3 or 4, Id)?.ToString());
    }

    [Fact]
    public void MembershipRejectsNullArguments()
    {
        Assert.Throws<ArgumentNullException>(() => IndexLinkedListChecks.CheckMembership("test list", null!, 5, _ => true, Id));
        Assert.Throws<ArgumentNullException>(() => IndexLinkedListChecks.CheckMembership("test list", [], 5, null!, Id));
    }
}
