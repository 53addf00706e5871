using System.Globalization;
using System.Text;

namespace Veralloc.Systematic.Minimization;

/// <summary>What <see cref="WitnessMinimizer"/> made of a witness: the witness before and after, and what was proved.</summary>
public sealed class MinimizationResult
{
    internal MinimizationResult(BugReport original, BugReport minimized, WitnessSize before, WitnessSize after, bool fewestPreemptionsProven, bool shortestProven, int schedulesTried, TimeSpan elapsed, IReadOnlyList<string> phases)
    {
        Original = original;
        Minimized = minimized;
        Before = before;
        After = after;
        FewestPreemptionsProven = fewestPreemptionsProven;
        ShortestProven = shortestProven;
        SchedulesTried = schedulesTried;
        Elapsed = elapsed;
        Phases = phases;
    }

    /// <summary>The bug as found (or as its trace replays).</summary>
    public BugReport Original { get; }

    /// <summary>
    /// The minimised witness, as a strict replay of its trace reports it: the same kind of bug, its interleaving and its
    /// trace (strategy <c>replay</c>, with every scheduling point, so <see cref="SystematicTest.Replay"/> checks each one).
    /// When nothing smaller was found it replays the original's schedule. Its <see cref="BugReport.Minimization"/> is this
    /// result. It is <see cref="Original"/> itself only when that strict replay failed (the program does not behave the
    /// same under the same schedule); nothing is proved then.
    /// </summary>
    public BugReport Minimized { get; }

    /// <summary>The size of the original witness.</summary>
    public WitnessSize Before { get; }

    /// <summary>The size of the minimised witness.</summary>
    public WitnessSize After { get; }

    /// <summary>
    /// True when DFS exhausted every preemption bound below <see cref="WitnessSize.Preemptions"/> of <see cref="After"/>
    /// without this kind of bug: no witness has fewer preemptions (within <see cref="TestOptions.MaxSteps"/>).
    /// </summary>
    public bool FewestPreemptionsProven { get; }

    /// <summary>
    /// True when DFS at the minimised witness's preemption count exhausted its space without a shorter witness of this
    /// kind: none with at most that many preemptions takes fewer steps.
    /// </summary>
    public bool ShortestProven { get; }

    /// <summary>Schedules run while minimising: DFS schedules and candidate replays.</summary>
    public int SchedulesTried { get; }

    /// <summary>Wall-clock time of the minimisation.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>One line per phase, in order, saying what it tried and found.</summary>
    public IReadOnlyList<string> Phases { get; }

    /// <summary>One line: before, after, what was proved and what it cost.</summary>
    /// <returns>For example <c>23 steps, 20 decisions, 1 preemption -> 17 steps, 14 decisions, 1 preemption (...)</c>.</returns>
    public string Summary()
    {
        var proved = (FewestPreemptionsProven, ShortestProven) switch
        {
            (true, true) => "fewest preemptions and then fewest steps, both proven by DFS",
            (true, false) => "fewest preemptions proven by DFS; shortness not proven",
            (false, true) => "fewest steps at this preemption count proven by DFS; fewer preemptions not ruled out",
            _ => "nothing proven within the budgets",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{Before} -> {After} ({proved}; {SchedulesTried} schedules, {Elapsed.TotalSeconds:F2} s)");
    }

    /// <summary>The summary and the phases, one per line.</summary>
    /// <returns>A multi-line text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder("Witness minimised: ").Append(Summary()).Append('\n');
        foreach (var phase in Phases)
        {
            text.Append("  ").Append(phase).Append('\n');
        }

        return text.ToString();
    }
}
