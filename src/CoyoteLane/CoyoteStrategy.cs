using System.Reflection;
using Microsoft.Coyote;

namespace Veralloc.CoyoteLane;

/// <summary>The Coyote exploration strategies the lane runs, by the names Coyote's CLI gives them.</summary>
public enum CoyoteStrategy
{
    /// <summary>Coyote's default: a fair portfolio that changes strategy from iteration to iteration.</summary>
    Portfolio,

    /// <summary>Uniformly random choice at every scheduling point.</summary>
    Random,

    /// <summary>Random, but staying with the current operation with high probability (level 3: switch with 1/8).</summary>
    Probabilistic,

    /// <summary>PCT: random priorities with a bounded number of priority changes (bound 10, Coyote's default).</summary>
    Prioritization,

    /// <summary>Depth-first enumeration of every schedule, without a bound; stops when the space is exhausted.</summary>
    Dfs,
}

/// <summary>Applies a <see cref="CoyoteStrategy"/> to a Coyote <see cref="Configuration"/>.</summary>
public static class CoyoteStrategies
{
    /// <summary>Every strategy, in a fixed order.</summary>
    public static IReadOnlyList<CoyoteStrategy> All { get; } = Enum.GetValues<CoyoteStrategy>();

    /// <summary>The strategy's name as Coyote's <c>--strategy</c> option spells it (portfolio: the default, no option).</summary>
    public static string Name(CoyoteStrategy strategy) => strategy switch
    {
        CoyoteStrategy.Portfolio => "portfolio",
        CoyoteStrategy.Random => "random",
        CoyoteStrategy.Probabilistic => "probabilistic",
        CoyoteStrategy.Prioritization => "prioritization",
        CoyoteStrategy.Dfs => "dfs",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown strategy."),
    };

    /// <summary>Selects <paramref name="strategy"/> on <paramref name="configuration"/>.</summary>
    /// <exception cref="MissingMethodException">Coyote no longer has the (internal) DFS switch this lane relies on.</exception>
    public static Configuration Apply(Configuration configuration, CoyoteStrategy strategy) => strategy switch
    {
        CoyoteStrategy.Portfolio => configuration,
        CoyoteStrategy.Random => configuration.WithRandomStrategy(),
        CoyoteStrategy.Probabilistic => configuration.WithProbabilisticStrategy(),
        CoyoteStrategy.Prioritization => configuration.WithPrioritizationStrategy(),
        CoyoteStrategy.Dfs => WithDfs(configuration),
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown strategy."),
    };

    /// <summary>
    /// Coyote 1.7.11 implements DFS and its CLI offers it (<c>--strategy dfs</c>), but the public
    /// <see cref="Configuration"/> API has no switch for it: <c>WithDFSStrategy</c> is internal. The lane calls it by
    /// reflection on the pinned version; if an upgrade removes it, this throws instead of silently running another
    /// strategy (docs/design-notes/0028-coyote-lane.md).
    /// </summary>
    private static Configuration WithDfs(Configuration configuration)
    {
        MethodInfo method = typeof(Configuration).GetMethod("WithDFSStrategy", BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes)
            ?? throw new MissingMethodException(typeof(Configuration).FullName, "WithDFSStrategy");
        return (Configuration)method.Invoke(configuration, null)!;
    }
}
