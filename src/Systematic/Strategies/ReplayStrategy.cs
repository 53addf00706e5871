using System.Globalization;

namespace Veralloc.Systematic.Strategies;

/// <summary>Follows a recorded trace; reports a divergence when the trace names a thread that is not enabled.</summary>
internal sealed class ReplayStrategy(IReadOnlyList<int> choices) : ISchedulingStrategy
{
    private int _next;

    public ReplayStrategy(ScheduleTrace trace)
        : this(trace.EncodedChoices)
    {
    }

    public string? DivergenceReason { get; private set; }

    public bool Exhausted => false;

    /// <summary>Decisions of the trace not consumed by the last iteration.</summary>
    public int Unconsumed => choices.Count - _next;

    public bool PrepareIteration(int iteration)
    {
        _next = 0;
        DivergenceReason = null;
        return true;
    }

    public int ChooseThread(List<int> enabled, int currentId, int point)
    {
        if (!TryNext(point, $"a choice among threads [{string.Join(", ", enabled)}]", out var chosen))
        {
            return -1;
        }

        if (ChoiceEncoding.IsValue(chosen))
        {
            DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"decision {_next - 1} is the random value {ChoiceEncoding.DecodeValue(chosen)}, but the program chose among threads [{string.Join(", ", enabled)}] at point {point + 1}");
            return -1;
        }

        if (!enabled.Contains(chosen))
        {
            DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"decision {_next - 1} names thread {chosen} but only [{string.Join(", ", enabled)}] are enabled at point {point + 1}");
            return -1;
        }

        return chosen;
    }

    public int ChooseValue(int range, int point)
    {
        if (!TryNext(point, $"a random value in [0, {range})", out var chosen))
        {
            return -1;
        }

        if (!ChoiceEncoding.IsValue(chosen) || ChoiceEncoding.DecodeValue(chosen) >= range)
        {
            var recorded = ChoiceEncoding.IsValue(chosen) ? $"the value {ChoiceEncoding.DecodeValue(chosen)}" : $"thread {chosen}";
            DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"decision {_next - 1} is {recorded}, but the program drew a random value in [0, {range}) at point {point + 1}");
            return -1;
        }

        return ChoiceEncoding.DecodeValue(chosen);
    }

    public void IterationEnded(int points)
    {
    }

    private bool TryNext(int point, string what, out int chosen)
    {
        if (_next >= choices.Count)
        {
            DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"the trace ended after {choices.Count} decisions but the program reached {what} at point {point + 1}");
            chosen = 0;
            return false;
        }

        chosen = choices[_next++];
        return true;
    }
}
