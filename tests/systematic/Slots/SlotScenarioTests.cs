using Veralloc.Scenarios;
using Veralloc.Scenarios.Mutants;
using Veralloc.Systematic;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Slots;

/// <summary>The built-in slot scenarios pass under every strategy, and DFS exhausts each within its preemption bound.</summary>
public sealed class SlotScenarioTests(ITestOutputHelper output)
{
    public static TheoryData<string> CorrectScenarios => [.. ScenarioCatalog.Correct.Select(scenario => scenario.Name)];

    public static TheoryData<string> FaithfulCopyScenarios => [.. MutantScenarios.FaithfulCopy.Select(scenario => scenario.Name)];

    [Theory]
    [MemberData(nameof(CorrectScenarios))]
    public void DfsExhaustsTheScenarioWithoutABug(string name)
    {
        var scenario = ScenarioCatalog.Find(name)!;
        var options = new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = 2, Iterations = 20_000, ScenarioName = name };
        var result = SystematicTest.Run(options, scenario.Build);
        output.WriteLine($"{name}: {result.Statistics}");

        result.ThrowIfBugFound();
        Assert.True(result.Statistics.SpaceExhausted, $"{name}: DFS did not exhaust within {options.Iterations} schedules");
        Assert.Equal(result.Statistics.Iterations, result.Statistics.DistinctSchedules);
    }

    [Theory]
    [MemberData(nameof(CorrectScenarios))]
    public void RandomAndPctFindNothing(string name)
    {
        var scenario = ScenarioCatalog.Find(name)!;
        foreach (var strategy in new[] { StrategyKind.Random, StrategyKind.Pct })
        {
            var result = SystematicTest.Run(new TestOptions { Strategy = strategy, Seed = 2026, Iterations = 300, ScenarioName = name }, scenario.Build);
            output.WriteLine($"{name}: {result.Statistics}");
            result.ThrowIfBugFound();
        }
    }

    [Theory]
    [MemberData(nameof(FaithfulCopyScenarios))]
    public void TheFaithfulMutantCopyPassesTheMutantShapes(string name)
    {
        var scenario = MutantScenarios.FaithfulCopy.Single(candidate => candidate.Name == name);
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = 2, Iterations = 20_000, ScenarioName = name }, scenario.Build);
        output.WriteLine($"{name}: {result.Statistics}");
        result.ThrowIfBugFound();
        Assert.True(result.Statistics.SpaceExhausted);
    }

    [Fact]
    public void InvariantChecksRunWhileAnotherThreadIsParkedInsideTheAllocator()
    {
        // The check is guarded by the pool lock, so it never sees a critical section half done, yet it runs at
        // points where other threads are parked mid-operation (before their Enter).
        var checks = 0;
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Random, Seed = 3, Iterations = 50 }, ctx =>
        {
            ScenarioCatalog.Find("slots/alloc-free-2x3")!.Build(ctx);
            ctx.AddInvariant("count", () => checks++ >= 0);
        });
        result.ThrowIfBugFound();
        Assert.True(checks > 50 * 5, $"only {checks} checks ran");
    }
}
