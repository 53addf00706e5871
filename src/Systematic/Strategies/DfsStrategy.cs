using System.Globalization;

namespace Veralloc.Systematic.Strategies;

/// <summary>
/// Depth-first enumeration of schedules with at most <c>bound</c> preemptions. Each iteration replays the current
/// stack's prefix and extends it with first choices; after it, the deepest frame with an untried option advances.
/// The space is exhausted when no frame has one.
/// </summary>
/// <remarks>
/// At each point the running thread (when enabled) is tried first, then the others by id, so the first schedule
/// has no preemptions. A preemption is choosing another thread while the running one was enabled; once a
/// schedule has used <c>bound</c> of them, only the running thread is offered.
/// </remarks>
internal sealed class DfsStrategy(int? preemptionBound) : ISchedulingStrategy
{
    private readonly List<Frame> _stack = [];
    private int _depth;
    private bool _started;

    public string? DivergenceReason { get; private set; }

    public bool Exhausted { get; private set; }

    public bool PrepareIteration(int iteration)
    {
        DivergenceReason = null;
        _depth = 0;
        if (!_started)
        {
            _started = true;
            return true;
        }

        while (_stack.Count > 0 && _stack[^1].Index + 1 >= _stack[^1].Options.Length)
        {
            _stack.RemoveAt(_stack.Count - 1);
        }

        if (_stack.Count == 0)
        {
            Exhausted = true;
            return false;
        }

        _stack[^1].Index++;
        return true;
    }

    public int Choose(List<int> enabled, int currentId, int step)
    {
        if (_depth < _stack.Count)
        {
            var replayed = _stack[_depth];
            if (!replayed.Matches(enabled, currentId))
            {
                DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"DFS replaying its prefix found enabled threads [{string.Join(", ", enabled)}] at decision {_depth}, not [{string.Join(", ", replayed.Enabled)}]: the program is not deterministic under control");
                return -1;
            }

            _depth++;
            return replayed.Options[replayed.Index];
        }

        var preemptionsBefore = _depth == 0 ? 0 : _stack[_depth - 1].PreemptionsAfter;
        var frame = new Frame(enabled.ToArray(), currentId, BuildOptions(enabled, currentId, preemptionsBefore), preemptionsBefore);
        _stack.Add(frame);
        _depth++;
        return frame.Options[0];
    }

    public void IterationEnded(int steps)
    {
        // A schedule that ended early (a bug, or fewer points than the replayed prefix) cannot leave stale frames:
        // frames beyond the depth reached belong to a different continuation.
        if (_depth < _stack.Count)
        {
            _stack.RemoveRange(_depth, _stack.Count - _depth);
        }
    }

    private int[] BuildOptions(List<int> enabled, int currentId, int preemptionsBefore)
    {
        if (currentId < 0)
        {
            return enabled.ToArray();
        }

        if (preemptionBound is { } bound && preemptionsBefore >= bound)
        {
            return [currentId];
        }

        var options = new int[enabled.Count];
        options[0] = currentId;
        var next = 1;
        foreach (var id in enabled)
        {
            if (id != currentId)
            {
                options[next++] = id;
            }
        }

        return options;
    }

    private sealed class Frame(int[] enabled, int currentId, int[] options, int preemptionsBefore)
    {
        public int[] Enabled { get; } = enabled;

        public int[] Options { get; } = options;

        public int Index { get; set; }

        public int PreemptionsAfter =>
            preemptionsBefore + (currentId >= 0 && Options[Index] != currentId ? 1 : 0);

        public bool Matches(List<int> enabledNow, int currentNow) =>
            currentNow == currentId && enabledNow.SequenceEqual(Enabled);
    }
}
