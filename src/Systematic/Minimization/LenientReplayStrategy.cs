using Veralloc.Systematic.Strategies;

namespace Veralloc.Systematic.Minimization;

/// <summary>
/// Follows a candidate list of choices as far as it fits the program and completes it without preempting: the
/// minimiser's way of running a schedule from which decisions were removed or changed. Unlike
/// <see cref="ReplayStrategy"/> it never reports a divergence, so every candidate is some valid schedule.
/// </summary>
/// <remarks>
/// Choices are consumed one per decision, in order. A listed thread that is not enabled, a listed random value out of
/// range, a value where a thread is asked for (or the reverse), and every decision after the list runs out, take the
/// non-preemptive default: the thread that reached the point when it is enabled, else the enabled thread with the
/// lowest id; the value 0. A listed choice that would preempt once <c>maxPreemptions</c> preemptions are spent is also
/// replaced by the default, so a candidate never costs more preemptions than the witness it tries to shorten.
/// Preemptions are counted as <see cref="DfsStrategy"/> counts them: choosing another thread while the one that
/// reached the point is enabled. Points of the fair phase (<see cref="TestOptions.FairAfterSteps"/>) never reach a
/// strategy, so they are neither followed nor counted, as in DFS.
/// </remarks>
internal sealed class LenientReplayStrategy(IReadOnlyList<int> choices, int maxPreemptions) : ISchedulingStrategy
{
    private readonly List<DecisionRecord> _made = [];
    private int _next;

    public string? DivergenceReason => null;

    public bool Exhausted => false;

    /// <summary>Preemptions of the last iteration.</summary>
    public int Preemptions { get; private set; }

    /// <summary>Listed choices of the last iteration that did not fit and were replaced by the default.</summary>
    public int Misfits { get; private set; }

    /// <summary>Every decision of the last iteration, in order, with what else it could have chosen.</summary>
    public IReadOnlyList<DecisionRecord> Made => _made;

    public bool PrepareIteration(int iteration)
    {
        _next = 0;
        _made.Clear();
        Preemptions = 0;
        Misfits = 0;
        return true;
    }

    public int ChooseThread(List<int> enabled, int currentId, int point)
    {
        var fallback = currentId >= 0 ? currentId : enabled[0];
        var chosen = fallback;
        if (_next < choices.Count)
        {
            var listed = choices[_next++];
            var fits = !ChoiceEncoding.IsValue(listed) && enabled.Contains(listed) && (listed == fallback || currentId < 0 || Preemptions < maxPreemptions);
            chosen = fits ? listed : fallback;
            Misfits += fits ? 0 : 1;
        }

        if (currentId >= 0 && chosen != currentId)
        {
            Preemptions++;
        }

        _made.Add(new DecisionRecord(enabled.ToArray(), currentId, chosen, 0));
        return chosen;
    }

    public int ChooseValue(int range, int point)
    {
        var chosen = 0;
        if (_next < choices.Count)
        {
            var listed = choices[_next++];
            var fits = ChoiceEncoding.IsValue(listed) && ChoiceEncoding.DecodeValue(listed) < range;
            chosen = fits ? ChoiceEncoding.DecodeValue(listed) : 0;
            Misfits += fits ? 0 : 1;
        }

        _made.Add(new DecisionRecord([], -1, chosen, range));
        return chosen;
    }

    public void IterationEnded(int points)
    {
    }
}

/// <summary>One decision as <see cref="LenientReplayStrategy"/> saw it.</summary>
/// <param name="Enabled">The enabled threads (empty for a random value).</param>
/// <param name="CurrentId">The thread that reached the point when it was enabled, else -1.</param>
/// <param name="Chosen">The thread chosen, or the value drawn.</param>
/// <param name="ValueRange">For a random value its range, else 0.</param>
internal sealed record DecisionRecord(int[] Enabled, int CurrentId, int Chosen, int ValueRange)
{
    /// <summary>The choice as a trace encodes it.</summary>
    public int Encoded => ValueRange > 0 ? ChoiceEncoding.Value(Chosen) : Chosen;

    /// <summary>True when this decision preempted the thread that reached the point.</summary>
    public bool IsPreemption => ValueRange == 0 && CurrentId >= 0 && Chosen != CurrentId;

    /// <summary>
    /// The other choices worth trying here, as a trace encodes them: every other enabled thread, or for a random value
    /// only 0 (a range may be large, and the smallest value is the simplest witness).
    /// </summary>
    public IEnumerable<int> Alternatives => ValueRange > 0
        ? Chosen == 0 ? [] : [ChoiceEncoding.Value(0)]
        : Enabled.Where(id => id != Chosen);
}
