using Veralloc.Scenarios;
using Veralloc.Systematic;
using Veralloc.Systematic.Minimization;
using Veralloc.Systematic.Strategies;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Minimization;

/// <summary>
/// Every gallery mutant's witness, as PCT and random find it, minimises to the same kind of bug with the fewest
/// preemptions any schedule needs and, at that count, the fewest steps; both are checked here by DFS of our own, not
/// taken from the minimiser's claims, and the minimised trace replays strictly.
/// </summary>
public sealed class GalleryMinimizationTests(ITestOutputHelper output)
{
    /// <summary>The longest witness the tracker asks for, where one that short exists.</summary>
    private const int ShortWitness = 12;

    /// <summary>
    /// The mutants whose shortest fewest-preemption witness is longer than <see cref="ShortWitness"/>, why, and the bound
    /// and shortest length that shows it (checked by <see cref="TheLongWitnessesAreLongForTheReasonGiven"/>).
    /// </summary>
    private static readonly Dictionary<string, (string Why, int Bound, int Shortest)> LongByNecessity = new(StringComparer.Ordinal)
    {
        // With one preemption, once the second thread runs it runs to its end: its whole alloc, free, alloc (12 steps)
        // lies between the first thread's check and its act. A second preemption lets the first act right after the
        // second thread's first alloc: 10 steps.
        ["mutant/check-then-act"] = ("one preemption makes the second thread run all 12 of its steps between check and act", 2, 10),

        // Each thread must allocate (start, acquire, release) before it frees, and the bug needs both sections of both
        // frees: 7 steps a thread whatever the preemptions.
        ["mutant/lost-resident-bytes"] = ("both threads must allocate and pass both sections of their free: 14 steps at any preemption count", 3, 14),
    };

    public static TheoryData<string, StrategyKind> MutantsAndFinders
    {
        get
        {
            var data = new TheoryData<string, StrategyKind>();
            foreach (var mutant in ScenarioCatalog.Mutants)
            {
                data.Add(mutant.Name, StrategyKind.Pct);
                data.Add(mutant.Name, StrategyKind.Random);
            }

            return data;
        }
    }

    public static TheoryData<string> LongMutants => [.. LongByNecessity.Keys];

    [Theory]
    [MemberData(nameof(MutantsAndFinders))]
    public void WitnessHasTheFewestPreemptionsThenTheFewestStepsAndReplaysStrictly(string name, StrategyKind finder)
    {
        var mutant = ScenarioCatalog.Find(name)!;
        var found = SystematicTest.Run(new TestOptions { Strategy = finder, Seed = 1, Iterations = 10_000, ScenarioName = name, TraceDirectory = null }, mutant.Build).Bug;
        Assert.NotNull(found);

        var result = WitnessMinimizer.Minimize(ScheduleTrace.Parse(found.Trace.ToText()), mutant.Build);
        output.WriteLine(result.ToString());
        output.WriteLine(result.Minimized.Format());

        var minimized = result.Minimized;
        Assert.Equal(found.Kind, minimized.Kind);
        Assert.Equal(found.Steps.Count, result.Before.Steps);
        Assert.Equal(minimized.Steps.Count, result.After.Steps);
        Assert.False(result.Before.IsSmallerThan(result.After), $"{result.Before} grew to {result.After}");

        var replayed = SystematicTest.Replay(ScheduleTrace.Parse(minimized.Trace.ToText()), mutant.Build).Bug;
        Assert.NotNull(replayed);
        Assert.Equal(found.Kind, replayed.Kind);
        Assert.Equal(minimized.Steps, replayed.Steps);

        var fewest = FewestPreemptions(mutant.Build, found.Kind);
        Assert.Equal(fewest, result.After.Preemptions);
        Assert.True(result.FewestPreemptionsProven, result.ToString());

        Assert.True(NoShorterWitness(mutant.Build, found.Kind, fewest, result.After.Steps), $"DFS at bound {fewest} found a {found.Kind} in fewer than {result.After.Steps} steps");
        Assert.True(result.ShortestProven, result.ToString());
        if (!LongByNecessity.ContainsKey(name))
        {
            Assert.InRange(result.After.Steps, 1, ShortWitness);
        }
    }

    [Theory]
    [MemberData(nameof(LongMutants))]
    public void TheLongWitnessesAreLongForTheReasonGiven(string name)
    {
        var mutant = ScenarioCatalog.Find(name)!;
        var (why, bound, shortest) = LongByNecessity[name];
        output.WriteLine($"{name}: {why}");

        // The shortest witness at the given bound: DFS passing over every witness not shorter than the last one found.
        var steps = int.MaxValue;
        while (ShortestBelow(mutant.Build, BugKind.InvariantViolation, bound, steps) is { } shorter)
        {
            steps = shorter;
        }

        Assert.Equal(shortest, steps);
    }

    /// <summary>The smallest preemption bound at which DFS reaches a bug of <paramref name="kind"/>, every smaller bound exhausted without one.</summary>
    private static int FewestPreemptions(Action<SystematicContext> scenario, BugKind kind)
    {
        for (var bound = 0; ; bound++)
        {
            var result = Dfs(scenario, bound, (other, _) => other != kind && WitnessMinimizer.CanMinimize(other));
            if (result.Bug is { } bug)
            {
                Assert.Equal(kind, bug.Kind);
                return bound;
            }

            Assert.True(result.Statistics.SpaceExhausted, $"DFS at bound {bound} neither found {kind} nor exhausted its space");
        }
    }

    /// <summary>True when DFS at <paramref name="bound"/> exhausts its space without a bug of <paramref name="kind"/> in fewer than <paramref name="steps"/> steps.</summary>
    private static bool NoShorterWitness(Action<SystematicContext> scenario, BugKind kind, int bound, int steps) =>
        ShortestBelow(scenario, kind, bound, steps) is null;

    private static int? ShortestBelow(Action<SystematicContext> scenario, BugKind kind, int bound, int steps)
    {
        var result = Dfs(scenario, bound, (other, taken) => other == kind ? taken >= steps : WitnessMinimizer.CanMinimize(other));
        if (result.Bug is { } bug)
        {
            Assert.Equal(kind, bug.Kind);
            return bug.Steps.Count;
        }

        Assert.True(result.Statistics.SpaceExhausted, $"DFS at bound {bound} did not exhaust its space");
        return null;
    }

    private static TestResult Dfs(Action<SystematicContext> scenario, int bound, Func<BugKind, int, bool> passOver) =>
        SystematicTest.RunStrategy(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = bound, Iterations = 100_000, TraceDirectory = null }, scenario, new DfsStrategy(bound), passOver);
}
