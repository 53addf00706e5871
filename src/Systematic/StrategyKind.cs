namespace Veralloc.Systematic;

/// <summary>How the engine picks the next logical thread at each scheduling point.</summary>
public enum StrategyKind
{
    /// <summary>Uniformly random among the enabled threads, seeded per iteration from the run's seed.</summary>
    Random,

    /// <summary>
    /// Probabilistic concurrency testing: random thread priorities plus <c>depth - 1</c> random priority
    /// change points; finds a bug of depth <c>d</c> with probability at least <c>1/(n·k^(d-1))</c> per iteration.
    /// </summary>
    Pct,

    /// <summary>Depth-first enumeration of every schedule with at most the configured number of preemptions.</summary>
    Dfs,

    /// <summary>Follows a recorded <see cref="ScheduleTrace"/> decision by decision.</summary>
    Replay,

    /// <summary>
    /// Dynamic partial-order reduction (source sets and sleep sets): enumerates every schedule up to reordering of
    /// independent steps, with no preemption bound, exploring one or a few schedules per equivalence class instead of
    /// all of them. Sound for threads that share state only through controlled objects (see spec/systematic.md).
    /// </summary>
    Dpor,
}

/// <summary>Parses and formats <see cref="StrategyKind"/> names as the command line and traces spell them.</summary>
public static class StrategyNames
{
    /// <summary>Returns the lower-case name of <paramref name="kind"/> (<c>random</c>, <c>pct</c>, <c>dfs</c>, <c>dpor</c>, <c>replay</c>).</summary>
    /// <param name="kind">The strategy.</param>
    /// <returns>Its name.</returns>
    public static string ToName(StrategyKind kind) => kind switch
    {
        StrategyKind.Random => "random",
        StrategyKind.Pct => "pct",
        StrategyKind.Dfs => "dfs",
        StrategyKind.Replay => "replay",
        StrategyKind.Dpor => "dpor",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown strategy."),
    };

    /// <summary>Parses a strategy name, case-insensitively.</summary>
    /// <param name="name">One of <c>random</c>, <c>pct</c>, <c>dfs</c>, <c>replay</c>.</param>
    /// <returns>The strategy.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> names no strategy.</exception>
    public static StrategyKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "random" => StrategyKind.Random,
            "pct" => StrategyKind.Pct,
            "dfs" => StrategyKind.Dfs,
            "replay" => StrategyKind.Replay,
            "dpor" => StrategyKind.Dpor,
            _ => throw new ArgumentException($"Unknown strategy '{name}': expected random, pct, dfs, dpor or replay.", nameof(name)),
        };
    }
}
