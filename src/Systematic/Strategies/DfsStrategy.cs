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
/// schedule has used <c>bound</c> of them, only the running thread is offered. A controlled random value is a frame
/// whose options are every value in its range; it costs no preemption. Each frame remembers the point it was made
/// at, so the engine can check that the replayed prefix took exactly the same points as before
/// (<see cref="ReplayedPoints"/>): a program whose behaviour changes between iterations is reported, not explored
/// on with a wrong claim of exhaustion.
/// </remarks>
/// <para>
/// With a <see cref="Shard"/>, the options of the frames at depth <see cref="SplitDepth"/> are numbered in DFS order
/// (every shard walks the frames above that depth identically, so the numbers agree) and shard K explores only the
/// subtrees whose number is K - 1 modulo N. A subtree it does not own still costs the one run that discovers it.
/// </para>
internal sealed class DfsStrategy(int? preemptionBound, Shard? shard = null) : ISchedulingStrategy
{
    /// <summary>The depth (in decisions) whose options are dealt out to the shards.</summary>
    public const int SplitDepth = 3;

    private readonly List<Frame> _stack = [];
    private long _nextSubtree;
    private int _depth;
    private bool _started;

    public string? DivergenceReason { get; private set; }

    public bool Exhausted { get; private set; }

    public int ReplayedPoints { get; private set; }

    /// <summary>True when the last iteration's schedule belongs to this run's shard (always true unsharded).</summary>
    public bool OwnsLastIteration { get; private set; } = true;

    public bool PrepareIteration(int iteration)
    {
        DivergenceReason = null;
        _depth = 0;
        if (!_started)
        {
            _started = true;
            ReplayedPoints = 0;
            return true;
        }

        while (_stack.Count > 0)
        {
            var top = _stack[^1];
            if ((shard is not null && _stack.Count > SplitDepth && !Owns(_stack[SplitDepth - 1].Subtree)) || top.Index + 1 >= top.Options.Length)
            {
                // Done here, or below a subtree another shard owns.
                _stack.RemoveAt(_stack.Count - 1);
                continue;
            }

            top.Index++;
            if (shard is not null && _stack.Count == SplitDepth)
            {
                top.Subtree = _nextSubtree++;
                if (!Owns(top.Subtree))
                {
                    continue;
                }
            }

            break;
        }

        if (_stack.Count == 0)
        {
            Exhausted = true;
            ReplayedPoints = 0;
            return false;
        }

        ReplayedPoints = _stack[^1].Point + 1;
        return true;
    }

    public int ChooseThread(List<int> enabled, int currentId, int point)
    {
        if (_depth < _stack.Count)
        {
            return Replay(point, isValue: false, enabled.Contains);
        }

        var preemptionsBefore = PreemptionsBefore();
        var frame = new Frame(point, currentId, BuildOptions(enabled, currentId, preemptionsBefore), preemptionsBefore);
        AddFrame(frame);
        _depth++;
        return frame.Options[0];
    }

    public int ChooseValue(int range, int point)
    {
        if (_depth < _stack.Count)
        {
            return Replay(point, isValue: true, value => value < range);
        }

        var options = new int[range];
        for (var value = 0; value < range; value++)
        {
            options[value] = value;
        }

        AddFrame(new Frame(point, -1, options, PreemptionsBefore(), isValue: true));
        _depth++;
        return 0;
    }

    public void IterationEnded(int points)
    {
        // A schedule that ended early (a bug, or fewer points than the replayed prefix) cannot leave stale frames:
        // frames beyond the depth reached belong to a different continuation.
        if (_depth < _stack.Count)
        {
            _stack.RemoveRange(_depth, _stack.Count - _depth);
        }

        // A schedule with fewer decisions than the split depth has no subtree number: the first shard owns it.
        OwnsLastIteration = shard is not { } part || (_stack.Count >= SplitDepth ? Owns(_stack[SplitDepth - 1].Subtree) : part.Index == 0);
    }

    private void AddFrame(Frame frame)
    {
        if (shard is not null && _stack.Count == SplitDepth - 1)
        {
            frame.Subtree = _nextSubtree++;
        }

        _stack.Add(frame);
    }

    private bool Owns(long subtree) => shard is not { } part || subtree % part.Count == part.Index;

    private int Replay(int point, bool isValue, Func<int, bool> allowed)
    {
        var frame = _stack[_depth];
        var option = frame.Options[frame.Index];
        if (frame.Point != point || frame.IsValue != isValue || !allowed(option))
        {
            DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"DFS replaying its prefix expected decision {_depth} at point {frame.Point + 1} ({(frame.IsValue ? "a random value" : "a thread")}), but the program asked for {(isValue ? "a random value" : "a thread")} at point {point + 1}: the program is not deterministic under control");
            return -1;
        }

        _depth++;
        return option;
    }

    private int PreemptionsBefore() => _depth == 0 ? 0 : _stack[_depth - 1].PreemptionsAfter;

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

    private sealed class Frame(int point, int currentId, int[] options, int preemptionsBefore, bool isValue = false)
    {
        public int Point { get; } = point;

        public bool IsValue { get; } = isValue;

        public int[] Options { get; } = options;

        public int Index { get; set; }

        /// <summary>The number of the subtree below this frame's current option (frames at the split depth, sharded runs).</summary>
        public long Subtree { get; set; }

        public int PreemptionsAfter =>
            preemptionsBefore + (!IsValue && currentId >= 0 && Options[Index] != currentId ? 1 : 0);
    }
}
