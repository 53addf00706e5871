using Veralloc.Systematic;
using Veralloc.Tests.Systematic.Engine;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Verdicts;

/// <summary>
/// Unfair-then-fair scheduling: a correct polling loop ends under every strategy, a real livelock is a liveness bug
/// with a trace that replays, and liveness monitors report what must happen but never does.
/// </summary>
public sealed class FairnessTests(ITestOutputHelper output)
{
    public static TheoryData<StrategyKind> SearchStrategies => [StrategyKind.Random, StrategyKind.Pct, StrategyKind.Dfs];

    /// <summary>A thread polls a flag (yielding each round) until another thread sets it.</summary>
    private static void PollingLoop(SystematicContext ctx)
    {
        var ready = false;
        ctx.Spawn("poller", () =>
        {
            while (!Volatile.Read(ref ready))
            {
                Scheduler.Yield();
            }
        });
        ctx.Spawn("setter", () => Volatile.Write(ref ready, true));
    }

    [Theory]
    [MemberData(nameof(SearchStrategies))]
    public void ACorrectPollingLoopPasses(StrategyKind strategy)
    {
        var options = new TestOptions { Strategy = strategy, Iterations = 200, Seed = 1, MaxSteps = 2_000, FairAfterSteps = 100, TraceDirectory = null };
        var result = SystematicTest.Run(options, PollingLoop);
        output.WriteLine(result.ToString());
        Assert.False(result.BugFound, result.ToString());
        if (strategy == StrategyKind.Dfs)
        {
            // DFS's first schedule keeps running the poller: only the fair phase lets the setter in.
            Assert.True(result.Statistics.FairIterations > 0, "the unfair prefix starves the setter at least once");
        }
    }

    [Fact]
    public void PctWithoutChangePointsStarvesThePollerUntilTheFairPhase()
    {
        var options = new TestOptions { Strategy = StrategyKind.Pct, PctDepth = 1, Iterations = 50, Seed = 1, MaxSteps = 2_000, FairAfterSteps = 100, TraceDirectory = null };
        var result = SystematicTest.Run(options, PollingLoop);
        Assert.False(result.BugFound, result.ToString());
        Assert.InRange(result.Statistics.FairIterations, 1, 49); // whenever the poller draws the higher priority
    }

    [Fact]
    public void WithoutFairnessThePollingLoopHitsTheStepBound()
    {
        var options = new TestOptions { Strategy = StrategyKind.Dfs, MaxSteps = 500, FairAfterSteps = null, TraceDirectory = null };
        var result = SystematicTest.Run(options, PollingLoop);
        Assert.Equal(BugKind.StepBoundExceeded, result.Bug?.Kind);
        Assert.Contains("fair scheduling is off", result.Bug!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SearchStrategies))]
    public void ARealLivelockIsALivenessBugThatReplays(StrategyKind strategy)
    {
        var options = new TestOptions { Strategy = strategy, Iterations = 200, Seed = 1, MaxSteps = 600, FairAfterSteps = 100, TraceDirectory = null };
        var result = SystematicTest.Run(options, ToyPrograms.PoliteLivelock);
        var bug = Assert.IsType<BugReport>(result.Bug);
        output.WriteLine(bug.Format(maxSteps: 12));
        Assert.Equal(BugKind.LivenessViolation, bug.Kind);
        Assert.Contains("livelock", bug.Message, StringComparison.Ordinal);
        Assert.Contains("the last 500 under a fair schedule", bug.Message, StringComparison.Ordinal);

        // The trace records its step bounds, so a plain replay reproduces the same livelock at the same point.
        var trace = ScheduleTrace.Parse(bug.Trace.ToText());
        Assert.Equal(new TraceSettings(600, 100), trace.Settings);
        var replayed = SystematicTest.Replay(trace, ToyPrograms.PoliteLivelock);
        Assert.Equal(bug.Message, replayed.Bug?.Message);
        Assert.Equal(bug.Steps, replayed.Bug?.Steps);
    }

    [Fact]
    public void AMonitorThatStaysHotUnderAFairScheduleIsReported()
    {
        var options = new TestOptions { Strategy = StrategyKind.Random, Iterations = 20, Seed = 2, MaxSteps = 5_000, FairAfterSteps = 50, LivenessTemperatureThreshold = 200, TraceDirectory = null };
        var result = SystematicTest.Run(options, ctx =>
        {
            var served = ctx.CreateLivenessMonitor("request served");
            var gate = ctx.CreateLock("queue");
            var requests = 0;
            ctx.Spawn("client", () =>
            {
                served.Hot("request 1 waits for the server");
                gate.Enter();
                requests++;
                gate.Exit();
            });
            ctx.Spawn("server", () =>
            {
                // A server that polls forever but never serves: the system keeps moving, the request never completes.
                while (true)
                {
                    gate.Enter();
                    _ = requests;
                    gate.Exit();
                }
            });
        });

        var bug = Assert.IsType<BugReport>(result.Bug);
        output.WriteLine(bug.Format(maxSteps: 8));
        Assert.Equal(BugKind.LivenessViolation, bug.Kind);
        Assert.Contains("liveness monitor 'request served' stayed hot (request 1 waits for the server)", bug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMonitorHotAtTheEndIsReportedAndACooledOnePasses()
    {
        static Action<SystematicContext> Scenario(bool serve) => ctx =>
        {
            var served = ctx.CreateLivenessMonitor("request served");
            var request = ctx.CreateEvent("request");
            ctx.Spawn("client", () =>
            {
                served.Hot("waiting for the server");
                request.Set();
            });
            ctx.Spawn("server", () =>
            {
                request.Wait();
                if (serve)
                {
                    served.Cold();
                }
            });
        };

        var options = new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = null, TraceDirectory = null };
        var unserved = SystematicTest.Run(options, Scenario(serve: false));
        Assert.Equal(BugKind.LivenessViolation, unserved.Bug?.Kind);
        Assert.Contains("ended with liveness monitor 'request served' hot", unserved.Bug!.Message, StringComparison.Ordinal);

        var servedResult = SystematicTest.Run(options, Scenario(serve: true));
        Assert.False(servedResult.BugFound, servedResult.ToString());
        Assert.True(servedResult.Statistics.SpaceExhausted);
    }
}
