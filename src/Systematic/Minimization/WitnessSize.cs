using System.Globalization;

namespace Veralloc.Systematic.Minimization;

/// <summary>How large a witness (a failing schedule) is.</summary>
/// <param name="Steps">The steps of its interleaving (<see cref="BugReport.Steps"/>).</param>
/// <param name="Decisions">The choices its trace records: thread decisions and random values (<see cref="ScheduleTrace.Choices"/>).</param>
/// <param name="Preemptions">
/// The times it switched away from a thread that could have continued, counted as DFS counts them: a decision that
/// chose another thread while the one that reached the scheduling point was enabled; points of the fair phase are not counted.
/// </param>
public readonly record struct WitnessSize(int Steps, int Decisions, int Preemptions)
{
    /// <summary>True when this witness is better than <paramref name="other"/>: fewer preemptions, else fewer steps, else fewer decisions.</summary>
    /// <param name="other">The witness to compare with.</param>
    /// <returns>Whether this one is strictly smaller in that order.</returns>
    public bool IsSmallerThan(WitnessSize other) =>
        (Preemptions, Steps, Decisions).CompareTo((other.Preemptions, other.Steps, other.Decisions)) < 0;

    /// <summary>Formats the size, for example <c>17 steps, 14 decisions, 1 preemption</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Steps} steps, {Decisions} decisions, {Preemptions} {(Preemptions == 1 ? "preemption" : "preemptions")}");
}
