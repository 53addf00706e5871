using System.Globalization;
using System.Text;

namespace Veralloc.Systematic;

/// <summary>Counters of one run.</summary>
public sealed record ExplorationStatistics
{
    /// <summary>The strategy the run used.</summary>
    public required StrategyKind Strategy { get; init; }

    /// <summary>The run's seed.</summary>
    public required int Seed { get; init; }

    /// <summary>Iterations (schedules) executed, including one that found a bug.</summary>
    public required int Iterations { get; init; }

    /// <summary>Distinct schedules among them, by a 64-bit hash of the decision sequence.</summary>
    public required int DistinctSchedules { get; init; }

    /// <summary>Scheduling points over all iterations.</summary>
    public required long SchedulingPoints { get; init; }

    /// <summary>The most scheduling points one iteration took.</summary>
    public required int MaxStepsPerIteration { get; init; }

    /// <summary>The most logical threads one iteration created.</summary>
    public required int MaxThreads { get; init; }

    /// <summary>Wall-clock time of the run.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>True when DFS enumerated every schedule within the preemption bound (and the step bound).</summary>
    public required bool SpaceExhausted { get; init; }

    /// <summary>True when the run stopped because <see cref="TestOptions.Timeout"/> expired.</summary>
    public required bool TimedOut { get; init; }

    /// <summary>Iterations that ran long enough to reach the fair phase (<see cref="TestOptions.FairAfterSteps"/>).</summary>
    public int FairIterations { get; init; }

    /// <summary>How many times the adaptive hand-off changed where the run's threads execute (<see cref="HandoffMode"/>).</summary>
    public int HandoffSwitches { get; init; }

    /// <summary>
    /// Iterations that partial-order reduction stopped early because every enabled thread was asleep (their
    /// continuations are equivalent to schedules explored before); counted in <see cref="Iterations"/>.
    /// </summary>
    public int PrunedIterations { get; init; }

    /// <summary>
    /// How many equivalence classes (Mazurkiewicz traces: schedules up to reordering of independent steps) the complete
    /// iterations covered; null unless the strategy is <see cref="StrategyKind.Dpor"/> or
    /// <see cref="TestOptions.CountEquivalenceClasses"/> is set.
    /// </summary>
    public int? EquivalenceClasses { get; init; }

    /// <summary>Distinct schedules per second of wall-clock time (repeated schedules of random strategies not counted).</summary>
    public double DistinctSchedulesPerSecond => Elapsed > TimeSpan.Zero ? DistinctSchedules / Elapsed.TotalSeconds : 0;

    /// <summary>Iterations per second of wall-clock time.</summary>
    public double SchedulesPerSecond => Elapsed > TimeSpan.Zero ? Iterations / Elapsed.TotalSeconds : 0;

    /// <summary>Formats the counters on one line.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{StrategyNames.ToName(Strategy)} seed {Seed}: {Iterations} iterations, {DistinctSchedules} distinct schedules, {SchedulingPoints} scheduling points, max {MaxStepsPerIteration} steps, max {MaxThreads} threads, {Elapsed.TotalSeconds:F2} s, {SchedulesPerSecond:F0} schedules/s ({DistinctSchedulesPerSecond:F0} distinct/s){(EquivalenceClasses is { } classes ? $", {classes} equivalence classes" : string.Empty)}{(PrunedIterations > 0 ? $", {PrunedIterations} pruned" : string.Empty)}{(FairIterations > 0 ? $", {FairIterations} went fair" : string.Empty)}{(HandoffSwitches > 0 ? $", {HandoffSwitches} hand-off switches" : string.Empty)}{(SpaceExhausted ? ", space exhausted" : string.Empty)}{(TimedOut ? ", timed out" : string.Empty)}");
}

/// <summary>The outcome of <see cref="SystematicTest.Run"/>: statistics and, if one was found, the bug.</summary>
public sealed class TestResult
{
    internal TestResult(ExplorationStatistics statistics, BugReport? bug, int unusedTraceDecisions = 0)
    {
        Statistics = statistics;
        Bug = bug;
        UnusedTraceDecisions = unusedTraceDecisions;
    }

    /// <summary>The run's counters.</summary>
    public ExplorationStatistics Statistics { get; }

    /// <summary>The bug found, or null.</summary>
    public BugReport? Bug { get; }

    /// <summary>True when the run found a bug.</summary>
    public bool BugFound => Bug is not null;

    /// <summary>
    /// For a replay (<see cref="SystematicTest.Replay"/>): the decisions of the trace its last run did not use; 0 for other
    /// strategies. A faithful trace leaves none, since the run ends where the traced run ended. Without a bug, leftovers
    /// are reported as <see cref="BugKind.ReplayDivergence"/>; with one, <see cref="Bug"/> is the bug the run found and
    /// this count says the trace holds more than that run, which a caller checking a reproduction must treat as a
    /// divergence too.
    /// </summary>
    public int UnusedTraceDecisions { get; }

    /// <summary>Throws when the run found a bug, with the report (interleaving, trace text, trace path) as message.</summary>
    /// <exception cref="BugFoundException">A bug was found.</exception>
    public void ThrowIfBugFound()
    {
        if (Bug is not null)
        {
            throw new BugFoundException(Bug);
        }
    }

    /// <summary>Formats the statistics and the bug report, if any.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Statistics.ToString()).Append('\n');
        if (Bug is not null)
        {
            text.Append(Bug.Format());
        }

        if (UnusedTraceDecisions > 0 && Bug is not { Kind: BugKind.ReplayDivergence })
        {
            text.Append(CultureInfo.InvariantCulture, $"Replay divergence: the trace holds {UnusedTraceDecisions} decisions the run did not use.\n");
        }

        return text.ToString();
    }
}
