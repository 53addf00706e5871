using Veralloc.Systematic;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Engine;

/// <summary>The engine finds each kind of bug on a toy program, reports it clearly, and its trace replays it.</summary>
public sealed class EngineBugFindingTests(ITestOutputHelper output)
{
    public static TheoryData<StrategyKind> SearchStrategies => [StrategyKind.Random, StrategyKind.Pct, StrategyKind.Dfs];

    [Theory]
    [MemberData(nameof(SearchStrategies))]
    public void LostUpdateIsFoundAndReplays(StrategyKind strategy)
    {
        var options = new TestOptions { Strategy = strategy, Iterations = 1000, Seed = 7, ScenarioName = "toy-lost-update", TraceDirectory = null };
        var result = SystematicTest.Run(options, ToyPrograms.LostUpdate());
        output.WriteLine(result.ToString());

        Assert.True(result.BugFound, $"the lost update was not found: {result.Statistics}");
        var bug = result.Bug!;
        Assert.Equal(BugKind.InvariantViolation, bug.Kind);
        Assert.Contains("both increments counted", bug.Message, StringComparison.Ordinal);
        AssertReplaysSame(bug, ToyPrograms.LostUpdate());
    }

    [Fact]
    public void LockOrderInversionIsReportedAsDeadlock()
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, ToyPrograms.LockOrderInversion);
        output.WriteLine(result.ToString());

        var bug = Assert.IsType<BugReport>(result.Bug);
        Assert.Equal(BugKind.Deadlock, bug.Kind);
        Assert.Contains("t0 'ab' waits to acquire 'B' (held by t1 'ba')", bug.Message, StringComparison.Ordinal);
        Assert.Contains("t1 'ba' waits to acquire 'A' (held by t0 'ab')", bug.Message, StringComparison.Ordinal);
        Assert.Contains(bug.Steps, step => step is { Kind: StepKind.Acquire, Target: "A", ThreadName: "ab" });
        Assert.Contains(bug.Steps, step => step is { Kind: StepKind.Acquire, Target: "B", ThreadName: "ba" });
        AssertReplaysSame(bug, ToyPrograms.LockOrderInversion);
    }

    [Fact]
    public void DeadlockIsFoundByRandomAndPctToo()
    {
        foreach (var strategy in new[] { StrategyKind.Random, StrategyKind.Pct })
        {
            var result = SystematicTest.Run(new TestOptions { Strategy = strategy, Seed = 3, Iterations = 500, TraceDirectory = null }, ToyPrograms.LockOrderInversion);
            Assert.Equal(BugKind.Deadlock, result.Bug?.Kind);
        }
    }

    [Fact]
    public void LivelockExceedsTheStepBound()
    {
        var options = new TestOptions { Strategy = StrategyKind.Random, Seed = 1, Iterations = 200, MaxSteps = 500, TraceDirectory = null };
        var result = SystematicTest.Run(options, ToyPrograms.PoliteLivelock);
        output.WriteLine(result.Bug?.Format(maxSteps: 12) ?? "no bug");

        var bug = Assert.IsType<BugReport>(result.Bug);
        Assert.Equal(BugKind.StepBoundExceeded, bug.Kind);
        Assert.Contains("500 scheduling points", bug.Message, StringComparison.Ordinal);
        Assert.Contains("possible livelock", bug.Message, StringComparison.Ordinal);
        AssertReplaysSame(bug, ToyPrograms.PoliteLivelock, options with { Strategy = StrategyKind.Replay });
    }

    [Fact]
    public void ExceptionInAThreadIsReportedWithTheThread()
    {
        static void Scenario(SystematicContext ctx)
        {
            var gate = ctx.CreateLock("L");
            var list = new List<int>();
            ctx.Spawn("adder", () =>
            {
                gate.Enter();
                list.Add(1);
                gate.Exit();
            });
            ctx.Spawn("taker", () =>
            {
                gate.Enter();
                var first = list[0]; // throws when the adder has not run yet
                gate.Exit();
                Assert.Equal(1, first);
            });
        }

        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, Scenario);
        output.WriteLine(result.ToString());

        var bug = Assert.IsType<BugReport>(result.Bug);
        Assert.Equal(BugKind.UnhandledException, bug.Kind);
        Assert.Equal("taker", bug.ThreadName);
        Assert.IsType<ArgumentOutOfRangeException>(bug.Exception);
        Assert.Contains(bug.Steps, step => step is { Kind: StepKind.Fault, ThreadName: "taker" });
        AssertReplaysSame(bug, Scenario);
    }

    [Fact]
    public void AssertionFailureIsItsOwnKind()
    {
        static void Scenario(SystematicContext ctx)
        {
            var gate = ctx.CreateLock("L");
            var flag = false;
            ctx.Spawn("setter", () =>
            {
                gate.Enter();
                flag = true;
                gate.Exit();
            });
            ctx.Spawn("checker", () =>
            {
                gate.Enter();
                var seen = flag;
                gate.Exit();
                Scheduler.Assert(seen, "the setter ran first");
            });
        }

        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, Scenario);
        Assert.Equal(BugKind.AssertionFailure, result.Bug?.Kind);
        Assert.Contains("the setter ran first", result.Bug!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvariantAtEverySchedulingPointCatchesATransientBreak()
    {
        // The pair (x, y) must stay equal whenever the lock is free; a writer updates them in two critical sections.
        static void Scenario(SystematicContext ctx)
        {
            var gate = ctx.CreateLock("pair");
            int x = 0, y = 0;
            ctx.Spawn("writer", () =>
            {
                gate.Enter();
                x = 1;
                gate.Exit();
                gate.Enter();
                y = 1;
                gate.Exit();
            });
            ctx.Spawn("reader", () =>
            {
                gate.Enter();
                gate.Exit();
            });
            ctx.AddInvariant("x == y while the lock is free", () => x == y, onlyWhenFree: gate);
        }

        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, Scenario);
        output.WriteLine(result.ToString());
        Assert.Equal(BugKind.InvariantViolation, result.Bug?.Kind);

        var atQuiescenceOnly = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null, CheckInvariantsAtEveryPoint = false }, Scenario);
        Assert.False(atQuiescenceOnly.BugFound, "the break is transient: the final state is consistent");
    }

    [Fact]
    public void ThrowIfBugFoundCarriesTraceTextAndSavedPath()
    {
        var directory = Path.Combine(Path.GetTempPath(), "veralloc-systematic-tests", Guid.NewGuid().ToString("N"));
        var options = new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = directory, ScenarioName = "toy/lost update" };
        var result = SystematicTest.Run(options, ToyPrograms.LostUpdate());

        var exception = Assert.Throws<BugFoundException>(result.ThrowIfBugFound);
        var path = result.Bug!.TracePath;
        Assert.NotNull(path);
        Assert.True(File.Exists(path), path);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("veralloc-trace 2", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Interleaving (", exception.Message, StringComparison.Ordinal);
        Assert.Contains("inc0 [increment] acquire counter", exception.Message, StringComparison.Ordinal);
        Assert.Equal(result.Bug.Trace.ToText(), ScheduleTrace.Load(path).ToText());
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void ReplayOfATamperedTraceReportsDivergence()
    {
        var found = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, ToyPrograms.LostUpdate()).Bug!;
        var tampered = new ScheduleTrace(found.Trace.Decisions.Select(_ => 5), found.Trace.Strategy, found.Trace.Seed, found.Trace.Iteration, null, found.Kind);
        var replayed = SystematicTest.Replay(tampered, ToyPrograms.LostUpdate());
        Assert.Equal(BugKind.ReplayDivergence, replayed.Bug?.Kind);
        Assert.Contains("names thread 5", replayed.Bug!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayCountsDecisionsLeftOverEvenWhenTheBugReproduces()
    {
        var found = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, ToyPrograms.LostUpdate()).Bug!;
        var faithful = SystematicTest.Replay(found.Trace, ToyPrograms.LostUpdate());
        var padded = new ScheduleTrace(found.Trace.Choices.Concat([ScheduleChoice.Thread(0), ScheduleChoice.Thread(0), ScheduleChoice.Thread(1)]), found.Trace.Strategy, found.Trace.Seed, found.Trace.Iteration, null, found.Kind);

        var replayed = SystematicTest.Replay(padded, ToyPrograms.LostUpdate());

        Assert.Equal(0, faithful.UnusedTraceDecisions);
        Assert.Equal(found.Kind, replayed.Bug?.Kind);
        Assert.Equal(3, replayed.UnusedTraceDecisions);
        Assert.Contains("Replay divergence: the trace holds 3 decisions the run did not use", replayed.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ATraceThatCannotBeSavedLeavesTheBugReportedWithTheReason()
    {
        var file = Path.GetTempFileName();
        try
        {
            var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = file }, ToyPrograms.LostUpdate());

            var bug = Assert.IsType<BugReport>(result.Bug);
            Assert.Null(bug.TracePath);
            Assert.Contains($"cannot save the trace to '{file}", bug.TraceSaveError, StringComparison.Ordinal);
            Assert.Contains("trace not saved: ", bug.Format(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private void AssertReplaysSame(BugReport bug, Action<SystematicContext> scenario, TestOptions? options = null)
    {
        var trace = ScheduleTrace.Parse(bug.Trace.ToText());
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var replayed = SystematicTest.Replay(trace, scenario, options);
            var again = Assert.IsType<BugReport>(replayed.Bug);
            Assert.Equal(bug.Kind, again.Kind);
            Assert.Equal(bug.Message, again.Message);
            Assert.Equal(bug.Steps, again.Steps);
            Assert.Equal(bug.Trace.Decisions, again.Trace.Decisions);
        }

        output.WriteLine($"replayed {bug.Kind} identically 3 times from a {trace.Decisions.Count}-decision trace");
    }
}
