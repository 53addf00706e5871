using Veralloc.Systematic;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Verdicts;

/// <summary>Controlled semaphores, conditions, events and random values: each bug class is found, the correct variant passes.</summary>
public sealed class PrimitiveTests(ITestOutputHelper output)
{
    private static readonly TestOptions s_dfs = new() { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 20_000, TraceDirectory = null };

    /// <summary>A one-slot buffer: the producer waits for space, the consumer for an item.</summary>
    private static Action<SystematicContext> BoundedBuffer(int initialSpace) => ctx =>
    {
        var space = ctx.CreateSemaphore("space", initialSpace);
        var items = ctx.CreateSemaphore("items", 0);
        var buffer = new Queue<int>();
        ctx.Spawn("producer", () =>
        {
            for (var i = 0; i < 2; i++)
            {
                space.Wait();
                buffer.Enqueue(i);
                Scheduler.Assert(buffer.Count <= 1, $"the one-slot buffer holds {buffer.Count} items");
                items.Release();
            }
        });
        ctx.Spawn("consumer", () =>
        {
            for (var i = 0; i < 2; i++)
            {
                items.Wait();
                Scheduler.Assert(buffer.Dequeue() == i, "items arrive in order");
                space.Release();
            }
        });
    };

    [Fact]
    public void ASemaphoreBoundedBufferPassesAndAMiscountedOneOverflows()
    {
        var correct = SystematicTest.Run(s_dfs, BoundedBuffer(initialSpace: 1));
        output.WriteLine(correct.ToString());
        Assert.False(correct.BugFound, correct.ToString());
        Assert.True(correct.Statistics.SpaceExhausted);

        var overflow = SystematicTest.Run(s_dfs, BoundedBuffer(initialSpace: 2));
        Assert.Equal(BugKind.AssertionFailure, overflow.Bug?.Kind);
        Assert.Contains(overflow.Bug!.Steps, step => step is { Kind: StepKind.Wait, Target: "space" });
    }

    [Fact]
    public void ASemaphoreWithNoPermitLeftIsADeadlockNamingIt()
    {
        var result = SystematicTest.Run(s_dfs, ctx =>
        {
            var permits = ctx.CreateSemaphore("permits", 0);
            ctx.Spawn("waiter", permits.Wait);
        });
        Assert.Equal(BugKind.Deadlock, result.Bug?.Kind);
        Assert.Contains("waits for a permit of semaphore 'permits' (count 0)", result.Bug!.Message, StringComparison.Ordinal);
        var setup = Assert.Throws<InvalidOperationException>(() => SystematicTest.Run(s_dfs, ctx => ctx.CreateSemaphore("full", 1, 1).Release()));
        Assert.IsType<SemaphoreFullException>(setup.InnerException);
    }

    /// <summary>A consumer waits on a condition for an item; with <c>if</c> instead of <c>while</c> a second consumer steals it.</summary>
    private static Action<SystematicContext> ConditionQueue(bool recheck) => ctx =>
    {
        var gate = ctx.CreateLock("queue");
        var nonEmpty = ctx.CreateCondition("non-empty", gate);
        var queue = new Queue<int>();
        for (var c = 0; c < 2; c++)
        {
            ctx.Spawn($"consumer{c}", () =>
            {
                gate.Enter();
                if (recheck)
                {
                    while (queue.Count == 0)
                    {
                        nonEmpty.Wait();
                    }
                }
                else if (queue.Count == 0)
                {
                    nonEmpty.Wait();
                }

                Scheduler.Assert(queue.Count > 0, "a woken consumer finds an item");
                queue.Dequeue();
                gate.Exit();
            });
        }

        ctx.Spawn("producer", () =>
        {
            for (var i = 0; i < 2; i++)
            {
                gate.Enter();
                queue.Enqueue(i);
                nonEmpty.Pulse();
                gate.Exit();
            }
        });
    };

    [Fact]
    public void AConditionWaitWithoutARecheckIsFoundAndTheLoopPasses()
    {
        var options = s_dfs with { PreemptionBound = 2 };
        var buggy = SystematicTest.Run(options, ConditionQueue(recheck: false));
        output.WriteLine(buggy.Bug?.Format() ?? "no bug");
        Assert.Equal(BugKind.AssertionFailure, buggy.Bug?.Kind);
        Assert.Contains(buggy.Bug!.Steps, step => step is { Kind: StepKind.Wait, Target: "non-empty" });

        var correct = SystematicTest.Run(options, ConditionQueue(recheck: true));
        output.WriteLine(correct.ToString());
        Assert.False(correct.BugFound, correct.ToString());
        Assert.True(correct.Statistics.SpaceExhausted);
    }

    [Fact]
    public void ADelayMustBeFiniteAndNotNegative()
    {
        // Thrown synchronously, before any task exists.
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = Scheduler.Delay(TimeSpan.FromSeconds(-1)); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = Scheduler.Delay(Timeout.InfiniteTimeSpan); });
        Assert.Throws<ArgumentOutOfRangeException>(() => Scheduler.RandomInteger(0));
    }

    [Fact]
    public void PulsingWithoutTheLockIsRefused()
    {
        var result = SystematicTest.Run(s_dfs, ctx =>
        {
            var gate = ctx.CreateLock("L");
            var condition = ctx.CreateCondition("C", gate);
            ctx.Spawn("pulser", condition.Pulse);
        });
        Assert.Equal(BugKind.UnhandledException, result.Bug?.Kind);
        Assert.IsType<SynchronizationLockException>(result.Bug!.Exception);
    }

    [Theory]
    [InlineData(EventResetMode.ManualReset, false)]
    [InlineData(EventResetMode.AutoReset, true)]
    public void AnAutoResetEventLetsOneWaiterThroughPerSet(EventResetMode mode, bool deadlocks)
    {
        var result = SystematicTest.Run(s_dfs, ctx =>
        {
            var go = ctx.CreateEvent("go", mode: mode);
            ctx.Spawn("waiter0", go.Wait);
            ctx.Spawn("waiter1", go.Wait);
            ctx.Spawn("setter", go.Set);
        });
        output.WriteLine(result.ToString());
        Assert.Equal(deadlocks, result.Bug?.Kind == BugKind.Deadlock);
        Assert.Equal(!deadlocks, result.Statistics.SpaceExhausted);
    }

    [Fact]
    public void DfsEnumeratesEveryRandomValueAndReplayReproducesThem()
    {
        var seen = new HashSet<(int, bool)>();
        var result = SystematicTest.Run(s_dfs, ctx =>
        {
            var first = ctx.Random(3);
            ctx.Spawn("drawer", () =>
            {
                var second = Scheduler.RandomBoolean();
                seen.Add((first, second));
            });
        });
        Assert.False(result.BugFound, result.ToString());
        Assert.True(result.Statistics.SpaceExhausted);
        Assert.Equal(6, result.Statistics.Iterations);
        Assert.Equal(6, seen.Count);

        // A bug behind one particular value: found, and its trace (with the values) replays it.
        Action<SystematicContext> needle = ctx => ctx.Spawn("needle", () => Scheduler.Assert(ctx.Random(10) != 7, "drew 7"));
        var bug = SystematicTest.Run(s_dfs, needle).Bug!;
        Assert.Equal(BugKind.AssertionFailure, bug.Kind);
        Assert.Contains(ScheduleChoice.RandomValue(7), bug.Trace.Choices);
        Assert.Contains("schedule ?7", bug.Trace.ToText(), StringComparison.Ordinal);
        Assert.Equal(BugKind.AssertionFailure, SystematicTest.Replay(ScheduleTrace.Parse(bug.Trace.ToText()), needle).Bug?.Kind);
    }
}
