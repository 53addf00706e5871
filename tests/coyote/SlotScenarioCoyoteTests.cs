using Veralloc.CoyoteLane;
using Veralloc.CoyoteLane.Slots;
using Veralloc.Scenarios;
using Veralloc.Scenarios.Mutants;
using Xunit.Abstractions;

namespace Veralloc.Tests.Coyote;

/// <summary>
/// Coyote explores the production <c>SlotAllocator</c>, behind <c>MonitorLock</c>, on every built-in slot scenario
/// under each of its strategies: no bug, with the SLOT-* invariants checked at every lock boundary and the ownership
/// table at every hand-out and at the end.
/// </summary>
public sealed class SlotScenarioCoyoteTests(ITestOutputHelper output)
{
    private const uint Iterations = 300;

    public static TheoryData<string, CoyoteStrategy> ScenariosByStrategy => LaneTheoryData.EveryStrategyOn(CoyoteSlotScenarios.Correct);

    [Theory]
    [MemberData(nameof(ScenariosByStrategy))]
    public void TheProductionAllocatorPassesTheScenario(string name, CoyoteStrategy strategy)
    {
        CoyoteScenario scenario = CoyoteSlotScenarios.Correct.Single(s => s.Name == name);

        CoyoteResult result = CoyoteRunner.Run(new CoyoteOptions { Strategy = strategy, Seed = 1, Iterations = Iterations }, scenario);
        output.WriteLine($"{name}: {result.Statistics}");

        result.ThrowIfBugFound();
        Assert.True(result.Statistics.Iterations == Iterations || result.Statistics.SpaceExhausted, $"only {result.Statistics.Iterations} iterations ran");

        // More than one schedule means Coyote, not the thread pool, chose the interleavings.
        Assert.True(result.Statistics.DistinctSchedules > 1, $"{result.Statistics.DistinctSchedules} distinct schedule(s): the workers are not under Coyote's control");
    }

    [Fact]
    public void TheLaneRunsTheEngineScenariosUnderTheSameNames()
    {
        Assert.Equal(ScenarioCatalog.Correct.Select(s => s.Name), CoyoteSlotScenarios.Correct.Select(s => s.Name));
        Assert.Equal(ScenarioCatalog.Mutants.Select(s => s.Name), CoyoteSlotScenarios.Mutants.Select(s => s.Name));
        Assert.Equal(MutantScenarios.FaithfulCopy.Select(s => s.Name), CoyoteSlotScenarios.FaithfulCopy.Select(s => s.Name));
        Assert.All(CoyoteSlotScenarios.Mutants, mutant => Assert.True(mutant.ExpectsBug));
        Assert.Equal(Enum.GetValues<SlotMutation>().Length - 1 + Enum.GetValues<ShardMutation>().Length, CoyoteSlotScenarios.Mutants.Count);
    }
}
