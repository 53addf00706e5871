using System.Collections.Immutable;
using Veralloc.Systematic.Linearizability;

namespace Veralloc.Tests.Systematic.Linearizability;

/// <summary>
/// The checker on its own, on toy models (a register, a FIFO queue, a counter) with histories built by hand: known
/// linearizable and non-linearizable histories, overlapping calls, pending calls, memoization that prunes without
/// losing an order, and the drawing of a history per thread.
/// </summary>
public sealed class CheckerTests
{
    // A register: write(v) returns "ok", read returns the value.
    private static readonly ISequentialModel<int, string, string> s_register = SequentialModel.Create(0, (int value, string op) =>
        op.StartsWith("write", StringComparison.Ordinal) ? (int.Parse(op[6..^1], System.Globalization.CultureInfo.InvariantCulture), "ok") : (value, value.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    // A FIFO queue: enq(v) returns "ok", deq returns the head or "empty". The state compares by its elements.
    private static readonly ISequentialModel<ImmutableQueue<int>, string, string> s_queue = SequentialModel.Create(
        ImmutableQueue<int>.Empty,
        (ImmutableQueue<int> queue, string op) =>
        {
            if (op.StartsWith("enq", StringComparison.Ordinal))
            {
                return (queue.Enqueue(int.Parse(op[4..^1], System.Globalization.CultureInfo.InvariantCulture)), "ok");
            }

            return queue.IsEmpty ? (queue, "empty") : (queue.Dequeue(out var head), head.ToString(System.Globalization.CultureInfo.InvariantCulture));
        },
        new ElementsComparer());

    // A counter: inc returns the new value; add returns "ok"; get returns the value.
    private static readonly ISequentialModel<int, string, string> s_counter = SequentialModel.Create(0, (int value, string op) => op switch
    {
        "inc" => (value + 1, (value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        "add" => (value + 1, "ok"),
        _ => (value, value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    });

    [Fact]
    public void ASequentialHistoryThatFollowsTheModelIsLinearizable()
    {
        var history = new History<string, string>();
        history.Call("t0", "write(1)", () => "ok");
        history.Call("t1", "read", () => "1");

        var verdict = LinearizabilityChecker.Check(s_register, history);

        Assert.True(verdict.IsLinearizable, verdict.Format());
        Assert.Equal(["write(1)", "read"], verdict.Order.Select(call => call.Operation));
    }

    [Fact]
    public void AStaleReadAfterTheWriteEndedIsNotLinearizable()
    {
        var history = new History<string, string>();
        history.Call("t0", "write(1)", () => "ok");
        history.Call("t1", "read", () => "0");

        var verdict = LinearizabilityChecker.Check(s_register, history);

        Assert.False(verdict.IsLinearizable);
        Assert.Contains("[t1] read -> 0, where the model returns 1", verdict.Explanation, StringComparison.Ordinal);
        Assert.Contains("Longest order the model allows (1 call): [t0] write(1) -> ok", verdict.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void AReadOverlappingAWriteMaySeeEitherValue()
    {
        foreach (var seen in new[] { "0", "1" })
        {
            var history = new History<string, string>();
            var write = history.Invoke("t0", "write(1)");
            history.Call("t1", "read", () => seen);
            history.Respond(write, "ok");

            Assert.True(LinearizabilityChecker.Check(s_register, history).IsLinearizable, $"read -> {seen} during the write");
        }
    }

    [Fact]
    public void TwoReadsOverlappingAWriteMustNotSeeTheNewValueThenTheOld()
    {
        // Each read alone could be ordered either side of the write, but not the first after and the second before.
        var history = new History<string, string>();
        var write = history.Invoke("writer", "write(1)");
        history.Call("r1", "read", () => "1");
        history.Call("r2", "read", () => "0");
        history.Respond(write, "ok");

        var verdict = LinearizabilityChecker.Check(s_register, history);

        Assert.False(verdict.IsLinearizable);
    }

    [Fact]
    public void MemoizationKeepsOrdersThatReachTheSameSetInAnotherState()
    {
        // Both writes overlap; the read after them sees 1, so write(2) must come first. Searching write(1) first reaches
        // the set {write(1), write(2)} in state 2 and fails; the same set in state 1 must still be searched.
        var history = new History<string, string>();
        var one = history.Invoke("t0", "write(1)");
        var two = history.Invoke("t1", "write(2)");
        history.Respond(one, "ok");
        history.Respond(two, "ok");
        history.Call("t2", "read", () => "1");

        var verdict = LinearizabilityChecker.Check(s_register, history);

        Assert.True(verdict.IsLinearizable, verdict.Format());
        Assert.Equal(["write(2)", "write(1)", "read"], verdict.Order.Select(call => call.Operation));
    }

    [Fact]
    public void MemoizationSearchesEachSetOfOverlappingCallsOnce()
    {
        // 14 overlapping adds, then a get that says 13: no order works. Without memoization the search would try all
        // 14! (about 8.7e10) orders; with it, each subset of adds is one configuration (the state is its size).
        const int adds = 14;
        var history = new History<string, string>();
        var calls = Enumerable.Range(0, adds).Select(i => history.Invoke($"t{i}", "add")).ToList();
        calls.ForEach(call => history.Respond(call, "ok"));
        history.Call("reader", "get", () => (adds - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

        var verdict = LinearizabilityChecker.Check(s_counter, history);

        Assert.False(verdict.IsLinearizable);
        Assert.InRange(verdict.ConfigurationsSearched, adds, 1 << adds);
        Assert.Contains("[reader] get -> 13, where the model returns 14", verdict.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoOverlappingIncrementsMustReturnDifferentValues()
    {
        var both = Overlapping(("t0", "inc", "1"), ("t1", "inc", "1"));
        var distinct = Overlapping(("t0", "inc", "2"), ("t1", "inc", "1"));

        var lost = LinearizabilityChecker.Check(s_counter, both);

        Assert.False(lost.IsLinearizable);
        Assert.Contains("-> 1, where the model returns 2", lost.Explanation, StringComparison.Ordinal);
        Assert.True(LinearizabilityChecker.Check(s_counter, distinct).IsLinearizable);
    }

    [Fact]
    public void OverlappingEnqueuesMayTakeEffectInEitherOrderButSequentialOnesMayNot()
    {
        var overlapping = Overlapping(("p0", "enq(1)", "ok"), ("p1", "enq(2)", "ok"));
        overlapping.Call("c", "deq", () => "2");
        overlapping.Call("c", "deq", () => "1");

        var sequential = new History<string, string>();
        sequential.Call("p0", "enq(1)", () => "ok");
        sequential.Call("p1", "enq(2)", () => "ok");
        sequential.Call("c", "deq", () => "2");

        Assert.True(LinearizabilityChecker.Check(s_queue, overlapping).IsLinearizable);
        var verdict = LinearizabilityChecker.Check(s_queue, sequential);
        Assert.False(verdict.IsLinearizable);
        Assert.Contains("[c] deq -> 2, where the model returns 1", verdict.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void ADequeueOfEmptyOverlappingTheOnlyEnqueueIsLinearizableButNotAfterIt()
    {
        var during = new History<string, string>();
        var enq = during.Invoke("p", "enq(5)");
        during.Call("c", "deq", () => "empty");
        during.Respond(enq, "ok");

        var after = new History<string, string>();
        after.Call("p", "enq(5)", () => "ok");
        after.Call("c", "deq", () => "empty");

        Assert.True(LinearizabilityChecker.Check(s_queue, during).IsLinearizable);
        Assert.False(LinearizabilityChecker.Check(s_queue, after).IsLinearizable);
    }

    [Fact]
    public void APendingCallMayTakeEffectOrNot()
    {
        // t0's write never responds (its thread failed); reads after its invocation may see it or not, but not both ways round.
        foreach (var (first, second, linearizable) in new[] { ("1", "1", true), ("0", "0", true), ("0", "1", true), ("1", "0", false) })
        {
            var history = new History<string, string>();
            history.Invoke("t0", "write(1)");
            history.Call("t1", "read", () => first);
            history.Call("t1", "read", () => second);

            var verdict = LinearizabilityChecker.Check(s_register, history);

            Assert.True(verdict.IsLinearizable == linearizable, $"reads {first} then {second} with the write pending: {verdict.Format()}");
        }
    }

    [Fact]
    public void AnEmptyHistoryIsLinearizable()
    {
        Assert.True(LinearizabilityChecker.Check(s_counter, new History<string, string>()).IsLinearizable);
    }

    [Fact]
    public void TheDiagramDrawsEachThreadOnItsOwnLineWithOverlappingCallsInSharedColumns()
    {
        var history = Overlapping(("t0", "inc", "1"), ("t1", "inc", "1"));
        history.Call("t0", "get", () => "1");
        var pending = new History<string, string>();
        pending.Invoke("slow", "inc");

        var drawn = HistoryDiagram.Draw(history.Operations).Split('\n');

        Assert.Equal(
            [
                "  time runs left to right; each |- call -> result -| spans one call from its invocation to its response",
                "  t0  |- inc -> 1 -|   |- get -> 1 -|",
                "  t1    |- inc -> 1 -|",
            ],
            drawn);
        Assert.EndsWith("slow  |- inc -> (no response) ->", HistoryDiagram.Draw(pending.Operations), StringComparison.Ordinal);
    }

    [Fact]
    public void TheReportOfANonLinearizableHistoryDrawsIt()
    {
        var verdict = LinearizabilityChecker.Check(s_counter, Overlapping(("t0", "inc", "1"), ("t1", "inc", "1")));

        var report = verdict.Format();

        Assert.StartsWith("not linearizable: no order of its 2 completed calls", report, StringComparison.Ordinal);
        Assert.Contains("  t0  |- inc -> 1 -|", report, StringComparison.Ordinal);
        Assert.Contains("  t1    |- inc -> 1 -|", report, StringComparison.Ordinal);
    }

    [Fact]
    public void OneThreadsCallsMustNotOverlap()
    {
        var history = new History<string, string>();
        var first = history.Invoke("t0", "inc");

        var overlap = Assert.Throws<InvalidOperationException>(() => history.Invoke("t0", "get"));
        Assert.Contains("'t0' invokes get while its call inc has not responded", overlap.Message, StringComparison.Ordinal);

        history.Respond(first, "1");
        var twice = Assert.Throws<InvalidOperationException>(() => history.Respond(first, "1"));
        Assert.Contains("has already responded", twice.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ArgumentOutOfRangeException>(() => history.Respond(7, "1"));
        Assert.Equal("call", unknown.ParamName);
        Assert.Throws<ArgumentException>(() => history.Invoke(string.Empty, "inc"));
    }

    [Fact]
    public void AHandBuiltHistoryWithImpossiblePositionsIsRefused()
    {
        RecordedOperation<string, string>[] backwards = [new("t0", "inc", 3, 1, "1")];
        RecordedOperation<string, string>[] shared = [new("t0", "inc", 0, 2, "1"), new("t1", "inc", 2, 3, "2")];
        RecordedOperation<string, string>[] overlapping = [new("t0", "inc", 0, 3, "1"), new("t0", "inc", 1, 2, "2")];

        Assert.Contains("not after its invocation", Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(s_counter, backwards)).Message, StringComparison.Ordinal);
        Assert.Contains("shares a position", Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(s_counter, shared)).Message, StringComparison.Ordinal);
        Assert.Contains("one thread's calls must not overlap", Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(s_counter, overlapping)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AModelThatThrowsIsReportedWithTheCall()
    {
        var partial = SequentialModel.Create(0, (int value, string op) => op == "inc" ? (value + 1, "ok") : throw new NotSupportedException($"no {op}"));
        var history = new History<string, string>();
        history.Call("t0", "dec", () => "ok");

        var error = Assert.Throws<InvalidOperationException>(() => LinearizabilityChecker.Check(partial, history));

        Assert.Contains("threw NotSupportedException on dec (called by 't0')", error.Message, StringComparison.Ordinal);
        Assert.IsType<NotSupportedException>(error.InnerException);
    }

    /// <summary>A history where every call is invoked before any responds, responses in the order given.</summary>
    private static History<string, string> Overlapping(params (string Thread, string Operation, string Result)[] calls)
    {
        var history = new History<string, string>();
        var handles = calls.Select(call => history.Invoke(call.Thread, call.Operation)).ToList();
        for (var i = 0; i < calls.Length; i++)
        {
            history.Respond(handles[i], calls[i].Result);
        }

        return history;
    }

    private sealed class ElementsComparer : IEqualityComparer<ImmutableQueue<int>>
    {
        public bool Equals(ImmutableQueue<int>? x, ImmutableQueue<int>? y) => x is not null && y is not null && x.SequenceEqual(y);

        public int GetHashCode(ImmutableQueue<int> obj) => obj.Aggregate(17, (hash, item) => (hash * 31) + item);
    }
}
