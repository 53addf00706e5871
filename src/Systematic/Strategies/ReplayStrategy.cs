using System.Globalization;

namespace Veralloc.Systematic.Strategies;

/// <summary>Follows a recorded trace; reports a divergence when the trace names a thread that is not enabled.</summary>
internal sealed class ReplayStrategy(ScheduleTrace trace) : ISchedulingStrategy
{
    private int _next;

    public string? DivergenceReason { get; private set; }

    public bool Exhausted => false;

    public bool PrepareIteration(int iteration)
    {
        _next = 0;
        DivergenceReason = null;
        return true;
    }

    public int Choose(List<int> enabled, int currentId, int step)
    {
        if (_next >= trace.Decisions.Count)
        {
            DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"the trace ended after {trace.Decisions.Count} decisions but the program reached another choice among [{string.Join(", ", enabled)}] at step {step}");
            return -1;
        }

        var chosen = trace.Decisions[_next];
        if (!enabled.Contains(chosen))
        {
            DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"decision {_next} names thread {chosen} but only [{string.Join(", ", enabled)}] are enabled at step {step}");
            return -1;
        }

        _next++;
        return chosen;
    }

    public void IterationEnded(int steps)
    {
    }

    /// <summary>Decisions of the trace not consumed by the last iteration.</summary>
    public int Unconsumed => trace.Decisions.Count - _next;
}
