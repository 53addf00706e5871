using Veralloc.CoyoteLane;
using Veralloc.CoyoteLane.Slots;
using Xunit.Abstractions;

namespace Veralloc.Tests.Coyote;

/// <summary>
/// Coyote finds every mutant of the gallery under every strategy and several seeds within <see cref="Budget"/>
/// iterations, each found bug's saved trace replays to the same failure, and the faithful copy passes 10,000
/// iterations of the same shapes. Two tests pin down the one mutant Coyote's own lock model cannot reach.
/// </summary>
public sealed class MutantGalleryCoyoteTests(ITestOutputHelper output)
{
    /// <summary>The stated budget: every mutant, every strategy, every seed (docs/design-notes/0028-coyote-lane.md).</summary>
    private const uint Budget = 1000;

    private static readonly uint[] s_seeds = [1, 2, 3];

    public static TheoryData<string, CoyoteStrategy> MutantsByStrategy => LaneTheoryData.EveryStrategyOn(CoyoteSlotScenarios.Mutants);

    [Theory]
    [MemberData(nameof(MutantsByStrategy))]
    public void MutantIsFoundWithinBudgetAndItsSavedTraceReplaysTheSameFailure(string name, CoyoteStrategy strategy)
    {
        CoyoteScenario mutant = CoyoteSlotScenarios.Mutants.Single(m => m.Name == name);

        // DFS makes no random choice: one seed is all there is.
        foreach (uint seed in strategy == CoyoteStrategy.Dfs ? s_seeds[..1] : s_seeds)
        {
            CoyoteResult result = CoyoteRunner.Run(new CoyoteOptions { Strategy = strategy, Seed = seed, Iterations = Budget }, mutant);
            output.WriteLine($"{name}: {result.Statistics}");
            CoyoteBug bug = result.Bug ?? throw new Xunit.Sdk.XunitException($"{name} was not found by {strategy} seed {seed} in {result.Statistics.Iterations} iterations");
            output.WriteLine(bug.Format());
            // The log freezes at the first failure: what uncontrolled workers do after it is not part of the bug.
            Assert.Single(bug.Interleaving, step => step.Contains(": FAILED: ", StringComparison.Ordinal));
            Assert.Contains(": FAILED: ", bug.Interleaving[^1], StringComparison.Ordinal);

            string path = Assert.IsType<string>(bug.TracePath);
            if (strategy != CoyoteStrategy.Portfolio)
            {
                // The trace records the strategy Coyote really ran (the portfolio records whichever member found it).
                Assert.Contains($"\"Strategy\": \"{CoyoteStrategies.Name(strategy)}\"", bug.Trace, StringComparison.Ordinal);
            }

            CoyoteResult replayed = CoyoteRunner.Replay(File.ReadAllText(path), mutant);
            CoyoteBug again = replayed.Bug ?? throw new Xunit.Sdk.XunitException($"the trace {path} did not reproduce the bug");
            Assert.Equal(bug.Report, again.Report);
            Assert.Equal(bug.Interleaving, again.Interleaving);
        }
    }

    [Theory]
    [InlineData("mutant/none/alloc-free-2x3", 10_000u)]
    [InlineData("mutant/none/alloc-free-keyed-2x3", 10_000u)]
    [InlineData("mutant/none/affine-clear-vs-free", 1_000u)]
    [InlineData("mutant/none/threshold-edge", 1_000u)]
    public void TheFaithfulCopyPassesTheMutantShapes(string name, uint iterations)
    {
        CoyoteScenario faithful = CoyoteSlotScenarios.FaithfulCopy.Single(s => s.Name == name);

        CoyoteResult result = CoyoteRunner.Run(new CoyoteOptions { Seed = 1, Iterations = iterations }, faithful);
        output.WriteLine($"{name}: {result.Statistics}");

        result.ThrowIfBugFound();
        Assert.Equal((int)iterations, result.Statistics.Iterations);
    }

    /// <summary>
    /// Coyote's lock model has no scheduling point at a release, and <c>lock-released-early</c> breaks only if another
    /// worker runs between the early release and the unlocked update that follows. Without the lane's release points,
    /// DFS enumerates every schedule Coyote's model has for the shape, and none exposes the bug.
    /// </summary>
    [Fact]
    public void WithoutReleasePointsDfsExhaustsCoyotesModelWithoutReachingLockReleasedEarly()
    {
        CoyoteScenario mutant = CoyoteSlotScenarios.MutantsWithoutReleasePoints.Single(m => m.Name == "mutant/lock-released-early");

        CoyoteResult result = CoyoteRunner.Run(new CoyoteOptions { Strategy = CoyoteStrategy.Dfs, Iterations = 5_000 }, mutant);
        output.WriteLine(result.Statistics.ToString());

        Assert.Null(result.Bug);
        Assert.True(result.Statistics.SpaceExhausted, $"DFS did not exhaust the space in {result.Statistics.Iterations} iterations");
    }

    /// <summary>Coyote's own remedy for the same blind spot: a scheduling point at every field access of rewritten code.</summary>
    [Fact]
    public void WithoutReleasePointsMemoryAccessRaceCheckingFindsLockReleasedEarly()
    {
        CoyoteScenario mutant = CoyoteSlotScenarios.MutantsWithoutReleasePoints.Single(m => m.Name == "mutant/lock-released-early");

        foreach (uint seed in s_seeds)
        {
            CoyoteResult result = CoyoteRunner.Run(new CoyoteOptions { Seed = seed, Iterations = Budget, MemoryAccessRaces = true, TraceDirectory = null }, mutant);
            output.WriteLine(result.Statistics.ToString());
            Assert.NotNull(result.Bug);
        }
    }
}
