using Veralloc.Scenarios;
using Veralloc.Systematic;
using Veralloc.Systematic.Minimization;
using Veralloc.Systematic.Strategies;
using Veralloc.Tests.Systematic.Engine;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Minimization;

/// <summary>The minimiser's contract: what it refuses, what <see cref="TestOptions.MinimizeWitness"/> saves and reports, the lenient replay.</summary>
public sealed class WitnessMinimizerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _traces = Directory.CreateTempSubdirectory("veralloc-min-").FullName;

    public void Dispose() => Directory.Delete(_traces, recursive: true);

    [Fact]
    public void ATraceWithoutABugIsRefused()
    {
        var trace = new ScheduleTrace([0, 1], StrategyKind.Random, 0, 0, "toy", bug: null);
        var error = Assert.Throws<ArgumentException>(() => WitnessMinimizer.Minimize(trace, ToyPrograms.LostUpdate()));
        Assert.Contains("records no bug", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BugKind.Nondeterminism)]
    [InlineData(BugKind.ReplayDivergence)]
    [InlineData(BugKind.Hang)]
    [InlineData(BugKind.UncontrolledConcurrency)]
    public void KindsThatMeanTheEngineLostControlAreRefused(BugKind kind)
    {
        Assert.False(WitnessMinimizer.CanMinimize(kind));
        var trace = new ScheduleTrace([0], StrategyKind.Random, 0, 0, "toy", kind);
        var error = Assert.Throws<ArgumentException>(() => WitnessMinimizer.Minimize(trace, ToyPrograms.LostUpdate()));
        Assert.Contains("cannot be minimised", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATraceThatDoesNotReplayToItsBugIsRefused()
    {
        var found = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, TraceDirectory = null }, ToyPrograms.LockOrderInversion).Bug;
        Assert.NotNull(found);
        var mislabelled = new ScheduleTrace(found.Trace.Choices, found.Trace.Strategy, found.Trace.Seed, found.Trace.Iteration, null, BugKind.AssertionFailure);

        var error = Assert.Throws<ArgumentException>(() => WitnessMinimizer.Minimize(mislabelled, ToyPrograms.LockOrderInversion));
        Assert.Contains("records AssertionFailure but replays to Deadlock", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BudgetsOutOfRangeAreRefused()
    {
        var trace = new ScheduleTrace([0], StrategyKind.Random, 0, 0, "toy", BugKind.Deadlock);
        Assert.Throws<ArgumentOutOfRangeException>(() => WitnessMinimizer.Minimize(trace, ToyPrograms.LockOrderInversion, new MinimizationOptions { MaxReplays = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => WitnessMinimizer.Minimize(trace, ToyPrograms.LockOrderInversion, new MinimizationOptions { Timeout = TimeSpan.Zero }));
    }

    [Fact]
    public void ADeadlockWitnessMinimisesToOnePreemption()
    {
        var found = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Random, Seed = 3, Iterations = 500, TraceDirectory = null }, ToyPrograms.LockOrderInversion).Bug;
        Assert.NotNull(found);

        var result = WitnessMinimizer.Minimize(found.Trace, ToyPrograms.LockOrderInversion);
        output.WriteLine(result.ToString());

        Assert.Equal(BugKind.Deadlock, result.Minimized.Kind);
        Assert.Equal(1, result.After.Preemptions);
        Assert.True(result.FewestPreemptionsProven);
        Assert.True(result.ShortestProven);

        // ab takes A, ba takes B (the preemption), then each blocks on the other's lock.
        Assert.Equal(["start", "acquire", "start", "acquire"], result.Minimized.Steps.Select(step => step.Kind.ToString().ToLowerInvariant()));
    }

    [Fact]
    public void MinimizeWitnessReportsTheMinimisedWitnessAndSavesBothTraces()
    {
        var mutant = ScenarioCatalog.Find("mutant/check-then-act")!;
        var options = new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = 2, Iterations = 10_000, ScenarioName = mutant.Name, TraceDirectory = _traces, MinimizeWitness = true };

        var bug = SystematicTest.Run(options, mutant.Build).Bug;
        Assert.NotNull(bug);
        output.WriteLine(bug.Format());

        var minimization = Assert.IsType<MinimizationResult>(bug.Minimization);
        Assert.Same(bug, minimization.Minimized);
        Assert.Equal(new WitnessSize(23, 20, 1), minimization.Before);
        Assert.Equal(17, minimization.After.Steps);
        Assert.Equal(bug.Steps.Count, minimization.After.Steps);

        Assert.EndsWith(".min.trace", bug.TracePath, StringComparison.Ordinal);
        Assert.Equal(WitnessMinimizer.MinimizedTracePath(minimization.Original.TracePath!), bug.TracePath);
        Assert.True(File.Exists(minimization.Original.TracePath));
        Assert.Equal(23, minimization.Original.Steps.Count);

        var text = bug.Format();
        Assert.Contains("minimised witness: 23 steps, 20 decisions, 1 preemption -> 17 steps", text, StringComparison.Ordinal);
        Assert.Contains($"original trace saved to {minimization.Original.TracePath}", text, StringComparison.Ordinal);
        Assert.Contains("Interleaving (17 steps)", text, StringComparison.Ordinal);

        var replayed = SystematicTest.Replay(ScheduleTrace.Load(bug.TracePath!), mutant.Build).Bug;
        Assert.Equal(bug.Steps, replayed?.Steps);
    }

    [Fact]
    public void WithoutMinimizeWitnessTheBugIsReportedAsFound()
    {
        var mutant = ScenarioCatalog.Find("mutant/check-then-act")!;
        var bug = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = 2, ScenarioName = mutant.Name, TraceDirectory = _traces }, mutant.Build).Bug;

        Assert.NotNull(bug);
        Assert.Null(bug.Minimization);
        Assert.Equal(23, bug.Steps.Count);
        Assert.Single(Directory.GetFiles(_traces));
    }

    [Fact]
    public void MinimizedTracePathSitsBesideTheOriginal()
    {
        Assert.Equal("a/b.min.trace", WitnessMinimizer.MinimizedTracePath("a/b.trace"));
        Assert.Equal("a/b.txt.min.trace", WitnessMinimizer.MinimizedTracePath("a/b.txt"));
        Assert.Equal("b.min.min.trace", WitnessMinimizer.MinimizedTracePath("b.min.trace"));
        Assert.Throws<ArgumentException>(() => WitnessMinimizer.MinimizedTracePath(string.Empty));
    }

    [Fact]
    public void LenientReplayFollowsWhatFitsAndCompletesWithoutPreempting()
    {
        var strategy = new LenientReplayStrategy([1, 5, 0, ChoiceEncoding.Value(2)], maxPreemptions: 1);
        strategy.PrepareIteration(0);

        Assert.Equal(1, strategy.ChooseThread([0, 1], currentId: 0, point: 0));   // listed: a preemption, within the cap
        Assert.Equal(1, strategy.ChooseThread([0, 1], currentId: 1, point: 1));   // thread 5 is not enabled: keep running
        Assert.Equal(1, strategy.ChooseThread([0, 1], currentId: 1, point: 2));   // a second preemption is over the cap
        Assert.Equal(0, strategy.ChooseThread([0, 2], currentId: -1, point: 3));  // a value where a thread is asked: lowest id
        Assert.Equal(0, strategy.ChooseValue(3, point: 4));                      // the list has run out: value 0
        Assert.Equal(2, strategy.ChooseThread([0, 2], currentId: 2, point: 5));   // and the running thread keeps running

        Assert.Equal(1, strategy.Preemptions);
        Assert.Equal(3, strategy.Misfits);
        Assert.Equal([1, 1, 1, 0, ChoiceEncoding.Value(0), 2], strategy.Made.Select(decision => decision.Encoded));
        Assert.Equal([true, false, false, false, false, false], strategy.Made.Select(decision => decision.IsPreemption));
    }
}
