using Veralloc.Systematic;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Verdicts;

/// <summary>
/// A verdict of "exhausted, no bug" must not rest on a program that changed between iterations: DFS compares each
/// replayed prefix with the iteration before it, replay compares with the points stored in the trace, and
/// <see cref="TestOptions.CheckDeterminism"/> reruns every schedule.
/// </summary>
public sealed class NondeterminismTests(ITestOutputHelper output)
{
    /// <summary>
    /// A lazily initialised cache: the first iteration takes the cold path (no yield), every later one the warm path.
    /// The warm program loses an update at its second DFS schedule; the cold one cannot (its read and write are one step).
    /// </summary>
    private static Action<SystematicContext> LazyInitProgram(WarmCache cache) => ctx =>
    {
        var counter = 0;
        ctx.Spawn("reader", () =>
        {
            var seen = counter;
            if (cache.Warm)
            {
                Scheduler.Yield(); // the warm path has one more scheduling point, between the read and the write
            }

            counter = seen + 1;
            cache.Warm = true;
        });
        ctx.Spawn("incrementer", () => counter++);
        ctx.AtQuiescence("both increments counted", () => counter == 2);
    };

    [Fact]
    public void DfsReportsALazyInitialisedPathInsteadOfClaimingExhaustion()
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = 2, TraceDirectory = null }, LazyInitProgram(new WarmCache()));
        output.WriteLine(result.ToString());

        var bug = Assert.IsType<BugReport>(result.Bug);
        Assert.Equal(BugKind.Nondeterminism, bug.Kind);
        Assert.False(result.Statistics.SpaceExhausted);
        Assert.Contains("the earlier run offered", bug.Message, StringComparison.Ordinal);
        Assert.Contains("yield", bug.Message, StringComparison.Ordinal);
        Assert.NotNull(bug.ExpectedSteps);
        Assert.Contains("The earlier run under the same schedule", bug.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheSteadyStateProgramFailsAtItsSecondSchedule()
    {
        // The same program, warm from the start: the bug the cold first iteration hid.
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = 2, TraceDirectory = null }, LazyInitProgram(new WarmCache { Warm = true }));
        Assert.Equal(BugKind.InvariantViolation, result.Bug?.Kind);
        Assert.True(result.Statistics.Iterations <= 3, result.Statistics.ToString());
    }

    [Fact]
    public void ADeterministicProgramIsStillExhaustedWithoutFalseAlarms()
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 10_000, TraceDirectory = null }, LazyInitProgram(new WarmCache { Warm = false, Frozen = true }));
        Assert.False(result.BugFound, result.ToString());
        Assert.True(result.Statistics.SpaceExhausted);
    }

    [Fact]
    public void DfsRerunsItsFirstScheduleBeforeClaimingExhaustion()
    {
        // State that drifts during the run would make the explored space a mixture. Here the space has two schedules,
        // and the first schedule's immediate rerun makes four runs in all; only the audit after exhaustion sees the drift.
        var runs = 0;
        void Drifting(SystematicContext ctx)
        {
            var late = runs++ >= 3;
            ctx.Spawn("a", () =>
            {
                if (late)
                {
                    Scheduler.Yield();
                }
            });
            ctx.Spawn("b", () => { });
        }

        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = null, TraceDirectory = null }, Drifting);
        output.WriteLine(result.ToString());
        Assert.Equal(BugKind.Nondeterminism, result.Bug?.Kind);
        Assert.False(result.Statistics.SpaceExhausted);
        Assert.Equal(2, result.Statistics.Iterations);
        Assert.Equal(4, runs);
    }

    [Fact]
    public void ReplayAgainstAProgramWhoseLocksBecameYieldsIsNondeterminismNotAReproduction()
    {
        var found = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, LostUpdate(useLocks: true)).Bug!;
        Assert.Equal(BugKind.InvariantViolation, found.Kind);
        var trace = ScheduleTrace.Parse(found.Trace.ToText());
        Assert.NotNull(trace.PointCount);

        var replayed = SystematicTest.Replay(trace, LostUpdate(useLocks: false));
        output.WriteLine(replayed.ToString());
        Assert.Equal(BugKind.Nondeterminism, replayed.Bug?.Kind);
        Assert.Contains("acquire counter", replayed.Bug!.Message, StringComparison.Ordinal);

        // The faithful program still replays to the same bug.
        Assert.Equal(BugKind.InvariantViolation, SystematicTest.Replay(trace, LostUpdate(useLocks: true)).Bug?.Kind);
    }

    [Fact]
    public void AVersionOneTraceStillReplaysByItsDecisions()
    {
        var found = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, LostUpdate(useLocks: true)).Bug!;
        var version1 = $"veralloc-trace 1\nstrategy dfs\nseed 0\niteration {found.Trace.Iteration}\nschedule {string.Join(' ', found.Trace.Decisions)}\n";
        var replayed = SystematicTest.Replay(ScheduleTrace.Parse(version1), LostUpdate(useLocks: true));
        Assert.Equal(BugKind.InvariantViolation, replayed.Bug?.Kind);
        Assert.Equal(found.Steps, replayed.Bug!.Steps);
    }

    [Fact]
    public void CheckDeterminismRerunsEachScheduleAndComparesEveryPoint()
    {
        var runs = 0;
        void Flaky(SystematicContext ctx)
        {
            var gate = ctx.CreateLock("L");
            ctx.Spawn("worker", () =>
            {
                gate.Enter();
                gate.Exit();
                if (runs++ > 2 && runs % 2 == 0)
                {
                    Scheduler.Yield(); // depends on a count kept between runs, not on the schedule (and not on the first run)
                }
            });
            ctx.Spawn("other", () =>
            {
                gate.Enter();
                gate.Exit();
            });
        }

        var unchecked_ = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Random, Iterations = 50, Seed = 3, TraceDirectory = null }, Flaky);
        Assert.False(unchecked_.BugFound, "random sampling alone (with its rerun of the first schedule) cannot see it");

        runs = 0;
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Random, Iterations = 50, Seed = 3, TraceDirectory = null, CheckDeterminism = true }, Flaky);
        output.WriteLine(result.ToString());
        var bug = Assert.IsType<BugReport>(result.Bug);
        Assert.Equal(BugKind.Nondeterminism, bug.Kind);
        Assert.Equal(2, result.Statistics.Iterations);
        Assert.NotNull(bug.ExpectedSteps);
        Assert.NotEqual(bug.ExpectedSteps, bug.Steps);

        var steady = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Pct, Iterations = 100, Seed = 3, TraceDirectory = null, CheckDeterminism = true }, LostUpdate(useLocks: true, fixedVersion: true));
        Assert.False(steady.BugFound, steady.ToString());
    }

    [Fact]
    public void ARandomValueThatChangesBetweenRunsIsNondeterminism()
    {
        var flip = false;
        void Scenario(SystematicContext ctx)
        {
            flip = !flip;
            var range = flip ? 2 : 3; // the range itself depends on state kept between iterations
            ctx.Spawn("drawer", () => _ = ctx.Random(range));
        }

        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, Scenario);
        Assert.Equal(BugKind.Nondeterminism, result.Bug?.Kind);
        Assert.Contains("random value", result.Bug!.Message, StringComparison.Ordinal);
    }

    private static Action<SystematicContext> LostUpdate(bool useLocks, bool fixedVersion = false) => ctx =>
    {
        var gate = ctx.CreateLock("counter");
        var counter = 0;
        for (var i = 0; i < 2; i++)
        {
            ctx.Spawn($"inc{i}", () =>
            {
                Enter();
                var seen = counter;
                if (fixedVersion)
                {
                    counter = seen + 1;
                }

                Exit();
                if (!fixedVersion)
                {
                    Enter();
                    counter = seen + 1;
                    Exit();
                }
            });
        }

        ctx.AtQuiescence("both increments counted", () => counter == 2);

        void Enter()
        {
            if (useLocks)
            {
                gate.Enter();
            }
            else
            {
                Scheduler.Yield();
            }
        }

        void Exit()
        {
            if (useLocks)
            {
                gate.Exit();
            }
            else
            {
                Scheduler.Yield();
            }
        }
    };

    private sealed class WarmCache
    {
        private bool _warm;

        public bool Frozen { get; init; }

        public bool Warm
        {
            get => _warm;
            set => _warm = Frozen ? _warm : value;
        }
    }
}
