using Veralloc.Systematic;

namespace Veralloc.Scenarios;

/// <summary>A named scenario of the catalogue: how to set up one iteration, and whether a bug is the expected outcome.</summary>
/// <param name="Name">The name the CLI and traces use, for example <c>slots/alloc-free-2x3</c>.</param>
/// <param name="Description">One sentence: what races against what, and what is checked.</param>
/// <param name="Build">Declares one iteration's threads, locks and checks.</param>
/// <param name="ExpectsBug">True for the mutant gallery, where finding a bug is the expected outcome.</param>
public sealed record SystematicScenario(string Name, string Description, Action<SystematicContext> Build, bool ExpectsBug = false);

/// <summary>Every built-in scenario, by name.</summary>
public static class ScenarioCatalog
{
    /// <summary>The scenarios on the real slot allocator: they must pass under every strategy.</summary>
    public static IReadOnlyList<SystematicScenario> Correct { get; } = Slots.SlotScenarios.All;

    /// <summary>The mutant gallery: each scenario must end with its expected bug.</summary>
    public static IReadOnlyList<SystematicScenario> Mutants { get; } = Veralloc.Scenarios.Mutants.MutantScenarios.All;

    /// <summary>
    /// The linearizability gallery: the mutants on a shape where only results are checked, each reported as not
    /// linearizable, beside the same shape on the faithful copy and the real allocator, which must pass.
    /// </summary>
    public static IReadOnlyList<SystematicScenario> Histories { get; } = Veralloc.Scenarios.Mutants.MutantScenarios.Histories;

    /// <summary>Finds a scenario by exact name among the three lists.</summary>
    /// <param name="name">The scenario name.</param>
    /// <returns>The scenario, or null.</returns>
    public static SystematicScenario? Find(string name) =>
        Correct.Concat(Mutants).Concat(Histories).FirstOrDefault(scenario => string.Equals(scenario.Name, name, StringComparison.Ordinal));
}
