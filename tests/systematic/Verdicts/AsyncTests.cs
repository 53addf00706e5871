using Veralloc.Systematic;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Verdicts;

/// <summary>
/// <c>async</c> code inside logical threads runs under control: every await that suspends resumes as a scheduling point,
/// on its own thread, so interleavings across awaits are explored, found bugs replay, and correct programs pass.
/// </summary>
public sealed class AsyncTests(ITestOutputHelper output)
{
    public static TheoryData<StrategyKind> SearchStrategies => [StrategyKind.Random, StrategyKind.Pct, StrategyKind.Dfs];

    /// <summary>Two async increments that read, await, then write: a lost update across an await.</summary>
    private static Action<SystematicContext> AsyncLostUpdate(bool fixedVersion) => ctx =>
    {
        var gate = ctx.CreateSemaphore("mutex", 1, 1);
        var counter = 0;
        for (var i = 0; i < 2; i++)
        {
            ctx.Spawn($"inc{i}", async () =>
            {
                if (fixedVersion)
                {
                    await gate.WaitAsync();
                }

                var seen = counter;
                await Task.Yield();
                counter = seen + 1;
                if (fixedVersion)
                {
                    gate.Release();
                }
            });
        }

        ctx.AtQuiescence("both increments counted", () => counter == 2);
    };

    [Theory]
    [MemberData(nameof(SearchStrategies))]
    public void ALostUpdateAcrossAnAwaitIsFoundAndReplays(StrategyKind strategy)
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = strategy, Iterations = 500, Seed = 4, TraceDirectory = null }, AsyncLostUpdate(fixedVersion: false));
        var bug = Assert.IsType<BugReport>(result.Bug);
        output.WriteLine(bug.Format());
        Assert.Equal(BugKind.InvariantViolation, bug.Kind);
        Assert.Contains(bug.Steps, step => step.Kind == StepKind.Resume);

        var replayed = SystematicTest.Replay(ScheduleTrace.Parse(bug.Trace.ToText()), AsyncLostUpdate(fixedVersion: false));
        Assert.Equal(bug.Steps, replayed.Bug?.Steps);
    }

    [Fact]
    public void TheGuardedAsyncIncrementIsExhaustedWithoutABug()
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 10_000, TraceDirectory = null }, AsyncLostUpdate(fixedVersion: true));
        output.WriteLine(result.ToString());
        Assert.False(result.BugFound, result.ToString());
        Assert.True(result.Statistics.SpaceExhausted);
    }

    [Fact]
    public void AwaitingOtherThreadsCompletionsJoinsThem()
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 10_000, TraceDirectory = null }, ctx =>
        {
            var total = ctx.CreateShared("total", 0);
            var gate = ctx.CreateLock("total");
            ctx.Spawn("parent", async () =>
            {
                var children = Enumerable.Range(0, 2).Select(i => ctx.Spawn($"child{i}", () =>
                {
                    gate.Enter();
                    total.Value += i + 1;
                    gate.Exit();
                })).ToArray();
                await Task.WhenAll(children.Select(child => child.Completion));
                Scheduler.Assert(total.Value == 3, "after WhenAll both children's additions are visible");
            });
        });
        output.WriteLine(result.ToString());
        Assert.False(result.BugFound, result.ToString());
        Assert.True(result.Statistics.SpaceExhausted);
    }

    [Fact]
    public void AnAsyncVoidBodyIsControlledAndItsExceptionReported()
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, ctx =>
        {
            var reached = ctx.CreateEvent("reached");
            Action body = async () =>
            {
                await reached.WaitAsync();
                await Task.Yield();
                throw new InvalidOperationException("thrown after an await");
            };
            ctx.Spawn("async-void", body);
            ctx.Spawn("setter", reached.Set);
        });

        var bug = Assert.IsType<BugReport>(result.Bug);
        Assert.Equal(BugKind.UnhandledException, bug.Kind);
        Assert.Equal("async-void", bug.ThreadName);
        Assert.Contains("thrown after an await", bug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AwaitingATaskNoThreadCompletesIsADeadlock()
    {
        var result = SystematicTest.Run(new TestOptions { TraceDirectory = null }, ctx =>
            ctx.Spawn("waiter", async () => await new TaskCompletionSource().Task));
        Assert.Equal(BugKind.Deadlock, result.Bug?.Kind);
        Assert.Contains("awaits a task that no logical thread has completed", result.Bug!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimersOfTheControlledTimeProviderFireInDueOrderOnVirtualTime()
    {
        var orders = new HashSet<string>();
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 10_000, TraceDirectory = null }, ctx =>
        {
            var fired = new List<string>();
            var time = ctx.TimeProvider;

            // Both armed at virtual time 0: the earlier one fires first in every schedule.
            var late = time.CreateTimer(_ => fired.Add("late@" + time.Elapsed.TotalSeconds), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
            var early = time.CreateTimer(_ => fired.Add("early@" + time.Elapsed.TotalSeconds), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
            ctx.Spawn("sleeper", async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(30), time);
                Scheduler.Assert(time.Elapsed >= TimeSpan.FromSeconds(30), $"a 30 s delay resumed at virtual {time.Elapsed}");
                late.Dispose();
                early.Dispose();
            });
            ctx.AtQuiescence("record the order", () => { orders.Add(string.Join(",", fired)); });
        });
        output.WriteLine(result.ToString());
        output.WriteLine(string.Join(" | ", orders));
        Assert.False(result.BugFound, result.ToString());
        Assert.True(result.Statistics.SpaceExhausted);
        Assert.Equal(["early@1,late@10"], orders);
        Assert.True(result.Statistics.Iterations > 1);
    }
}
