using Veralloc.Systematic;
using Veralloc.Systematic.Linearizability;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Linearizability;

/// <summary>
/// <c>ctx.Linearizable(model)</c> in the engine: calls are recorded per logical thread (setup and final calls under
/// their own names), a lost update is reported as <see cref="BugKind.NotLinearizable"/> with the history drawn per
/// thread, the bug replays from its trace, and a correct object lets DFS exhaust the space.
/// </summary>
public sealed class EngineLinearizabilityTests(ITestOutputHelper output)
{
    // next() returns the value after incrementing.
    private static readonly ISequentialModel<int, string, int> s_counter = SequentialModel.Create(0, (int value, string op) => op switch
    {
        "next" => (value + 1, value + 1),
        _ => (value, value),
    });

    [Fact]
    public void ASplitIncrementIsReportedAsNotLinearizableWithTheHistoryPerThread()
    {
        var result = SystematicTest.Run(Dfs(), ctx => Counter(ctx, split: true));

        var bug = Assert.IsType<BugReport>(result.Bug);
        output.WriteLine(bug.Format());
        Assert.Equal(BugKind.NotLinearizable, bug.Kind);
        Assert.Null(bug.ThreadName);
        Assert.StartsWith("the history of 'counter' is not linearizable: no order of its 2 completed calls", bug.Message, StringComparison.Ordinal);
        Assert.Contains("-> 1, where the model returns 2", bug.Message, StringComparison.Ordinal);
        // DFS's first failing schedule: t1 reads, t2 runs its whole call, t1 writes; t2's box lies inside t1's.
        Assert.Contains("\n  t1  |- next -> 1 -----|\n  t2    |- next -> 1 -|", bug.Message, StringComparison.Ordinal);
        Assert.Contains("Bug found: NotLinearizable: the history of 'counter'", bug.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheBugReplaysFromItsTraceWithTheSameHistory()
    {
        var result = SystematicTest.Run(Dfs(), ctx => Counter(ctx, split: true));
        var bug = Assert.IsType<BugReport>(result.Bug);

        var trace = ScheduleTrace.Parse(bug.Trace.ToText());
        var replayed = SystematicTest.Replay(trace, ctx => Counter(ctx, split: true));

        Assert.Equal(BugKind.NotLinearizable, trace.Bug);
        var again = Assert.IsType<BugReport>(replayed.Bug);
        Assert.Equal(bug.Kind, again.Kind);
        Assert.Equal(bug.Message, again.Message);
    }

    [Fact]
    public void AnAtomicIncrementIsLinearizableInEverySchedule()
    {
        var result = SystematicTest.Run(Dfs(), ctx => Counter(ctx, split: false));

        result.ThrowIfBugFound();
        Assert.True(result.Statistics.SpaceExhausted);
        Assert.True(result.Statistics.DistinctSchedules > 1, result.Statistics.ToString());
    }

    [Fact]
    public void CallsAreRecordedUnderTheirThreadSetupAndFinalCallsUnderTheirOwnNames()
    {
        History<string, int>? last = null;
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Random, Seed = 5, Iterations = 20, TraceDirectory = null }, ctx =>
        {
            var gate = ctx.CreateLock("counter");
            var value = 0;
            int Next()
            {
                gate.Enter();
                var next = ++value;
                gate.Exit();
                return next;
            }

            var check = ctx.Linearizable(s_counter, "counter");
            check.Call("next", Next);
            ctx.Spawn("a", () => check.Call("next", Next));
            ctx.Spawn("b", () => check.Call("next", Next));
            check.AfterThreads(() => check.Call("read", () => value));
            last = check.History;
        });

        result.ThrowIfBugFound();
        var calls = Assert.IsAssignableFrom<History<string, int>>(last).Operations;
        Assert.Equal(["a", "after", "b", "setup"], calls.Select(call => call.Thread).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(LinearizabilityCheck<int, string, int>.SetupThread, calls[0].Thread);
        Assert.Equal(1, calls[0].Result);
        Assert.Equal(LinearizabilityCheck<int, string, int>.AfterThreadsThread, calls[^1].Thread);
        Assert.Equal(3, calls[^1].Result);
        Assert.All(calls, call => Assert.False(call.IsPending));
        Assert.Equal([2, 3], calls.Where(call => call.Thread is "a" or "b").Select(call => call.Result).Order());
    }

    [Fact]
    public void AFinalReadExposesAWrongEndStateThatNoCallReturned()
    {
        // Each add returns nothing useful; only the read after the threads shows the lost update.
        var adder = SequentialModel.Create(0, (int value, string op) => op == "add" ? (value + 1, 0) : (value, value));
        var result = SystematicTest.Run(Dfs(), ctx =>
        {
            var gate = ctx.CreateLock("counter");
            var value = 0;
            int SplitAdd()
            {
                gate.Enter();
                var seen = value;
                gate.Exit();
                gate.Enter();
                value = seen + 1;
                gate.Exit();
                return 0;
            }

            var check = ctx.Linearizable(adder, "adder");
            ctx.Spawn("t1", () => check.Call("add", SplitAdd));
            ctx.Spawn("t2", () => check.Call("add", SplitAdd));
            check.AfterThreads(() => check.Call("read", () => value));
        });

        var bug = Assert.IsType<BugReport>(result.Bug);
        Assert.Equal(BugKind.NotLinearizable, bug.Kind);
        Assert.Contains("[after] read -> 1, where the model returns 2", bug.Message, StringComparison.Ordinal);
        Assert.Contains("  after", bug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACallThatThrowsStaysPendingAndTheThreadFailsAsUsual()
    {
        History<string, int>? last = null;
        var result = SystematicTest.Run(Dfs(), ctx =>
        {
            var check = ctx.Linearizable(s_counter, "counter");
            ctx.Spawn("t1", () => check.Call("next", () => throw new InvalidOperationException("broken")));
            last = check.History;
        });

        var bug = Assert.IsType<BugReport>(result.Bug);
        Assert.Equal(BugKind.UnhandledException, bug.Kind);
        Assert.True(Assert.Single(Assert.IsAssignableFrom<History<string, int>>(last).Operations).IsPending);
    }

    [Fact]
    public void DporKeepsTheRealTimeOrderOfCallsOnIndependentState()
    {
        // A register whose write goes to one copy and whose read comes from another (each behind its own lock): the
        // two calls touch nothing in common, so every order of their steps is one equivalence class for DPOR. Only
        // the order where the write ends before the read begins shows the stale read; the reader runs first by default.
        var register = SequentialModel.Create(0, (int value, string op) => op == "write(1)" ? (1, 0) : (value, value));
        void StaleCopy(SystematicContext ctx)
        {
            var check = ctx.Linearizable(register, "register");
            var writeCopy = ctx.CreateLock("write copy");
            var readCopy = ctx.CreateLock("read copy");
            ctx.Spawn("reader", () => check.Call("read", () =>
            {
                readCopy.Enter();
                readCopy.Exit();
                return 0;
            }));
            ctx.Spawn("writer", () => check.Call("write(1)", () =>
            {
                writeCopy.Enter();
                writeCopy.Exit();
                return 0;
            }));
        }

        var dpor = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dpor, Iterations = 10_000, TraceDirectory = null }, StaleCopy);

        var bug = Assert.IsType<BugReport>(dpor.Bug);
        Assert.Equal(BugKind.NotLinearizable, bug.Kind);
        Assert.Contains("[reader] read -> 0, where the model returns 1", bug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACallFromOutsideTheIterationIsRefused()
    {
        LinearizabilityCheck<int, string, int>? kept = null;
        SystematicTest.Run(Dfs(), ctx => kept = ctx.Linearizable(s_counter, "counter")).ThrowIfBugFound();

        var refused = Assert.Throws<UncontrolledConcurrencyException>(() => kept!.Call("next", () => 1));

        Assert.Contains("linearizability check 'counter' was called from", refused.Message, StringComparison.Ordinal);
        Assert.Empty(kept!.History.Operations);
    }

    [Fact]
    public void TheModelIsRequired()
    {
        Exception? refused = null;
        SystematicTest.Run(Dfs(), ctx => refused = Record.Exception(() => ctx.Linearizable<int, string, int>(null!))).ThrowIfBugFound();

        Assert.Equal("model", Assert.IsType<ArgumentNullException>(refused).ParamName);
    }

    private static TestOptions Dfs() => new() { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 10_000, TraceDirectory = null };

    /// <summary>Two threads each call next() once; <paramref name="split"/> reads and writes in two critical sections.</summary>
    private static void Counter(SystematicContext ctx, bool split)
    {
        var gate = ctx.CreateLock("counter");
        var value = 0;
        int Next()
        {
            gate.Enter();
            var seen = value;
            if (split)
            {
                gate.Exit();
                gate.Enter();
            }

            value = seen + 1;
            gate.Exit();
            return seen + 1;
        }

        var check = ctx.Linearizable(s_counter, "counter");
        ctx.Spawn("t1", () => check.Call("next", Next));
        ctx.Spawn("t2", () => check.Call("next", Next));
    }
}
