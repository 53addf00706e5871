using Veralloc.Scenarios;
using Veralloc.Scenarios.Mutants;
using Veralloc.Systematic;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Dpor;

/// <summary>
/// Partial-order reduction against plain unbounded DFS: on every program DPOR finds the bug DFS finds (and none DFS does
/// not), and on bug-free programs it covers exactly the equivalence classes DFS's schedules fall into, each once.
/// </summary>
public sealed class DporSoundnessTests(ITestOutputHelper output)
{
    public static TheoryData<string> Programs => [.. DporPrograms.All.Keys];

    [Theory]
    [MemberData(nameof(Programs))]
    public void DporAgreesWithUnboundedDfs(string name)
    {
        var program = DporPrograms.All[name];
        var dfs = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 500_000, CountEquivalenceClasses = true, TraceDirectory = null }, program);
        var dpor = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dpor, Iterations = 500_000, TraceDirectory = null }, program);
        output.WriteLine($"dfs:  {dfs.Statistics}{(dfs.Bug is { } a ? $" -> {a.Kind}" : string.Empty)}");
        output.WriteLine($"dpor: {dpor.Statistics}{(dpor.Bug is { } b ? $" -> {b.Kind}" : string.Empty)}");

        Assert.Equal(dfs.Bug?.Kind, dpor.Bug?.Kind);
        if (dfs.Bug is not null)
        {
            Assert.True(dpor.Statistics.Iterations <= dfs.Statistics.Iterations, "DPOR needed more schedules than DFS to find the bug");
            return;
        }

        Assert.True(dfs.Statistics.SpaceExhausted, "unbounded DFS did not finish");
        Assert.True(dpor.Statistics.SpaceExhausted, "DPOR did not finish");
        Assert.Equal(dfs.Statistics.EquivalenceClasses, dpor.Statistics.EquivalenceClasses);

        // Sleep sets: no two complete DPOR runs are equivalent.
        Assert.Equal(dpor.Statistics.Iterations - dpor.Statistics.PrunedIterations, dpor.Statistics.EquivalenceClasses);
        Assert.True(dpor.Statistics.Iterations <= dfs.Statistics.Iterations);
    }

    [Fact]
    public void TheCatalogueCoversEveryKindOfStepAndBothVerdicts()
    {
        Assert.True(DporPrograms.All.Count >= 20);
        var verdicts = DporPrograms.All.Values
            .Select(program => SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dpor, Iterations = 500_000, TraceDirectory = null }, program).BugFound)
            .ToList();
        Assert.Contains(true, verdicts);
        Assert.Contains(false, verdicts);
    }

    [Fact]
    public void TheTwoPreemptionBugIsBeyondBoundOneAndFoundByDpor()
    {
        var program = DporPrograms.All["two-preemption-bug"];
        var boundOne = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = 1, Iterations = 100_000, TraceDirectory = null }, program);
        Assert.False(boundOne.BugFound);
        Assert.True(boundOne.Statistics.SpaceExhausted);

        var dpor = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dpor, Iterations = 100_000, TraceDirectory = null }, program);
        Assert.Equal(BugKind.AssertionFailure, dpor.Bug?.Kind);
        Assert.Equal(BugKind.AssertionFailure, SystematicTest.Replay(dpor.Bug!.Trace, program).Bug?.Kind);
    }

    [Theory]
    [InlineData("slots/alloc-free-2x3", 40, 20)]
    [InlineData("slots/alloc-free-keyed-3x3", 5_000, 1_680)]
    public void SlotScenariosAreExhaustedUnboundedWithinTheirTargets(string name, int most, int classes)
    {
        var scenario = ScenarioCatalog.Find(name)!;
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dpor, Iterations = 1_000_000, ScenarioName = name, TraceDirectory = null }, scenario.Build);
        output.WriteLine($"{name}: {result.Statistics}");
        result.ThrowIfBugFound();
        Assert.True(result.Statistics.SpaceExhausted);
        Assert.InRange(result.Statistics.Iterations, 1, most);
        Assert.Equal(classes, result.Statistics.EquivalenceClasses);
    }

    /// <summary>
    /// Every gallery mutant is found. lock-released-early touches the pool after releasing its lock, a data race on memory
    /// the reduction does not see; the slot harness declares the pool's state guarded by its lock, so the engine reports
    /// the change made with the lock free as a data race (spec/systematic.md).
    /// </summary>
    [Fact]
    public void DporFindsEveryGalleryMutant()
    {
        foreach (var scenario in MutantScenarios.All)
        {
            var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dpor, Iterations = 100_000, ScenarioName = scenario.Name, TraceDirectory = null }, scenario.Build);
            output.WriteLine($"{scenario.Name}: {result.Statistics}{(result.Bug is { } bug ? $" -> {bug.Kind}" : string.Empty)}");
            Assert.True(result.BugFound, $"{scenario.Name} was not found");
            if (scenario.Name == "mutant/lock-released-early")
            {
                Assert.Equal(BugKind.DataRace, result.Bug!.Kind);
            }
        }
    }
}
