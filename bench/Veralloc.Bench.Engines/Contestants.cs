using Veralloc.CoyoteLane;
using Veralloc.CoyoteLane.Slots;
using Veralloc.Scenarios;
using Veralloc.Systematic;

namespace Veralloc.Bench.Engines;

/// <summary>One engine with one strategy (and setting), run on a scenario by name.</summary>
/// <param name="Engine">"veralloc" or "coyote".</param>
/// <param name="Strategy">The strategy as the engine names it, plus the setting when it is not the default.</param>
/// <param name="Deterministic">True when the seed does not matter (DFS): one run stands for every seed.</param>
/// <param name="Run">Runs the named scenario with an iteration budget and a seed.</param>
internal sealed record Contestant(string Engine, string Strategy, bool Deterministic, Func<string, int, int, Outcome> Run)
{
    public string Label => $"{Engine} {Strategy}";
}

/// <summary>What one run reports.</summary>
/// <param name="Iterations">Schedules (iterations) run, including the one that found a bug.</param>
/// <param name="DistinctSchedules">Distinct schedules among them, as the engine counts them.</param>
/// <param name="Elapsed">Wall-clock time.</param>
/// <param name="BugFound">Whether a bug was found (the run stops at the first).</param>
/// <param name="Exhausted">Whether DFS enumerated every schedule before the budget ran out.</param>
internal sealed record Outcome(int Iterations, int DistinctSchedules, TimeSpan Elapsed, bool BugFound, bool Exhausted)
{
    public double PerSecond => Elapsed > TimeSpan.Zero ? Iterations / Elapsed.TotalSeconds : 0;
}

/// <summary>The strategies of both engines, each as a <see cref="Contestant"/>.</summary>
internal static class Contestants
{
    /// <summary>
    /// Every strategy of our engine except replay, enumerated from <see cref="StrategyKind"/> so that a strategy added
    /// later takes part without a change here; DFS with the engine's default preemption bound.
    /// </summary>
    public static IReadOnlyList<Contestant> Ours() =>
        Enum.GetValues<StrategyKind>().Where(kind => kind != StrategyKind.Replay).Select(kind => new Contestant(
            "veralloc",
            kind.ToString().ToLowerInvariant(),
            kind == StrategyKind.Dfs,
            (name, iterations, seed) =>
            {
                SystematicScenario scenario = ScenarioCatalog.Find(name) ?? throw new ArgumentException($"our engine has no scenario '{name}'", nameof(name));
                var options = new TestOptions { Strategy = kind, Seed = seed, Iterations = iterations, TraceDirectory = null, ScenarioName = name };
                TestResult result = SystematicTest.Run(options, scenario.Build);
                ExplorationStatistics statistics = result.Statistics;
                return new Outcome(statistics.Iterations, statistics.DistinctSchedules, statistics.Elapsed, result.BugFound, statistics.SpaceExhausted);
            })).ToArray();

    /// <summary>Every Coyote strategy on the lane's scenarios (release points on: the lane's default).</summary>
    public static IReadOnlyList<Contestant> Coyote() => CoyoteWith(CoyoteSlotScenarios.Correct.Concat(CoyoteSlotScenarios.Mutants).ToArray(), setting: "", memoryAccessRaces: false).ToArray();

    /// <summary>The mutants under Coyote's own lock model (no scheduling point at a release), with and without memory-access races.</summary>
    public static IReadOnlyList<Contestant> CoyoteLockModelOnly() =>
    [
        .. CoyoteWith(CoyoteSlotScenarios.MutantsWithoutReleasePoints, setting: ", lock points only", memoryAccessRaces: false),
        .. CoyoteWith(CoyoteSlotScenarios.MutantsWithoutReleasePoints, setting: ", lock points only + memory-access races", memoryAccessRaces: true)
            .Where(c => c.Strategy.StartsWith("portfolio", StringComparison.Ordinal)),
    ];

    private static IEnumerable<Contestant> CoyoteWith(IReadOnlyList<CoyoteScenario> scenarios, string setting, bool memoryAccessRaces) =>
        CoyoteStrategies.All.Select(strategy => new Contestant(
            "coyote",
            CoyoteStrategies.Name(strategy) + setting,
            strategy == CoyoteStrategy.Dfs,
            (name, iterations, seed) =>
            {
                CoyoteScenario scenario = scenarios.SingleOrDefault(s => s.Name == name) ?? throw new ArgumentException($"the Coyote lane has no scenario '{name}'", nameof(name));
                var options = new CoyoteOptions { Strategy = strategy, Seed = (uint)seed, Iterations = (uint)iterations, TraceDirectory = null, MemoryAccessRaces = memoryAccessRaces };
                CoyoteResult result = CoyoteRunner.Run(options, scenario);
                CoyoteStatistics statistics = result.Statistics;
                return new Outcome(statistics.Iterations, statistics.DistinctSchedules, statistics.Elapsed, result.Bug is not null, statistics.SpaceExhausted);
            }));
}
