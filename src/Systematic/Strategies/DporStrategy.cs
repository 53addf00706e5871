using System.Globalization;
using Veralloc.Systematic.Dpor;

namespace Veralloc.Systematic.Strategies;

/// <summary>
/// Dynamic partial-order reduction: source-set DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014,
/// Algorithm 1), run statelessly: each iteration replays a prefix of the exploration stack and extends it; after the
/// iteration the races of the whole run add the threads that reverse them to the backtrack sets of the points where
/// the first step of each race was taken. Explores at least one run of every equivalence class (runs that differ only
/// in the order of independent steps), and with sleep sets never two complete runs of one class.
/// </summary>
/// <remarks>
/// Steps are dependent when they touch a common controlled object (locks, <see cref="Shared{T}"/>, semaphores,
/// events, conditions, thread spawn/start/end/join) other than by two reads; time and async continuations are not
/// modelled precisely and conflict with everything. The reduction is sound for programs whose threads share state only
/// through those objects (see spec/systematic.md, "Partial-order reduction"). A run whose every enabled thread is
/// asleep is redundant and stops early (<see cref="ExplorationStatistics.PrunedIterations"/>). Controlled random values
/// are enumerated like DFS does; the preemption bound does not apply.
/// </remarks>
internal sealed class DporStrategy : ISchedulingStrategy
{
    private readonly List<Frame> _stack = [];
    private readonly List<SleepEntry> _sleep = [];
    /// <summary>Which frame each point of the last iteration was decided by; rebuilt when the iteration ends.</summary>
    private readonly Dictionary<int, int> _frameOfPoint = [];
    private int _depth;
    private int _appliedSteps;
    private bool _started;

    public EventLog Events { get; } = new();

    public string? DivergenceReason { get; private set; }

    public bool Exhausted { get; private set; }

    public int ReplayedPoints { get; private set; }

    public bool PrepareIteration(int iteration)
    {
        DivergenceReason = null;
        _depth = 0;
        _appliedSteps = 0;
        _sleep.Clear();
        if (!_started)
        {
            _started = true;
            ReplayedPoints = 0;
            return true;
        }

        while (_stack.Count > 0 && !_stack[^1].Advance())
        {
            _stack.RemoveAt(_stack.Count - 1);
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

    /// <summary>
    /// Called at every thread point (forced ones too) before the choice: applies the steps completed since the last
    /// point to the sleep set, and returns true when every enabled thread is asleep (the run is redundant).
    /// </summary>
    public bool ShouldPrune(List<int> enabled)
    {
        var steps = Events.Steps;
        for (; _appliedSteps < steps.Count; _appliedSteps++)
        {
            var accesses = Events.AccessesOf(_appliedSteps);
            for (var entry = _sleep.Count - 1; entry >= 0; entry--)
            {
                if (EventLog.Dependent(_sleep[entry].Footprint, accesses))
                {
                    _sleep.RemoveAt(entry);
                }
            }
        }

        foreach (var id in enabled)
        {
            if (!IsAsleep(id))
            {
                return false;
            }
        }

        return enabled.Count > 0;
    }

    public int ChooseThread(List<int> enabled, int currentId, int point)
    {
        if (_depth < _stack.Count)
        {
            var frame = _stack[_depth];
            if (frame.Point != point || frame.IsValue || !enabled.Contains(frame.Chosen))
            {
                DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"DPOR replaying its prefix expected decision {_depth} at point {frame.Point + 1} ({(frame.IsValue ? "a random value" : $"thread {frame.Chosen}")}), but the program asked for a thread among [{string.Join(", ", enabled)}] at point {point + 1}: the program is not deterministic under control");
                return -1;
            }

            frame.Sleep.Clear();
            frame.Sleep.AddRange(_sleep);
            EnterFrame(frame);
            return frame.Chosen;
        }

        var choice = -1;
        if (currentId >= 0 && !IsAsleep(currentId))
        {
            choice = currentId;
        }
        else
        {
            foreach (var id in enabled)
            {
                if (!IsAsleep(id))
                {
                    choice = id;
                    break;
                }
            }
        }

        var fresh = new Frame(point, enabled.ToArray(), choice, isValue: false, range: 0);
        fresh.Sleep.AddRange(_sleep);

        _stack.Add(fresh);
        _depth++;
        return choice;
    }

    public int ChooseValue(int range, int point)
    {
        if (_depth < _stack.Count)
        {
            var frame = _stack[_depth];
            if (frame.Point != point || !frame.IsValue || frame.Range != range)
            {
                DivergenceReason = string.Create(CultureInfo.InvariantCulture, $"DPOR replaying its prefix expected decision {_depth} at point {frame.Point + 1}, but the program asked for a random value in [0, {range}) at point {point + 1}: the program is not deterministic under control");
                return -1;
            }

            _depth++;
            return frame.Chosen;
        }

        _stack.Add(new Frame(point, [], 0, isValue: true, range));
        _depth++;
        return 0;
    }

    public void IterationEnded(int points)
    {
        if (_depth < _stack.Count)
        {
            _stack.RemoveRange(_depth, _stack.Count - _depth);
        }

        _frameOfPoint.Clear();
        for (var index = 0; index < _stack.Count; index++)
        {
            _frameOfPoint[_stack[index].Point] = index;
        }

        var steps = Events.Steps;
        for (var step = 0; step < steps.Count; step++)
        {
            if (_frameOfPoint.TryGetValue(steps[step].Point, out var index) && !_stack[index].IsValue)
            {
                _stack[index].Footprints.TryAdd(steps[step].Thread, Events.AccessesOf(step).ToArray());
            }
        }

        var analysis = Events.Analyze();
        foreach (var (first, second) in analysis.Races())
        {
            // A race whose first step was forced (one thread enabled) or taken in the fair phase has no frame: a forced
            // point has nothing else to run, and the fair phase is round robin by design.
            if (!_frameOfPoint.TryGetValue(steps[first].Point, out var index))
            {
                continue;
            }

            var frame = _stack[index];
            var initials = analysis.Initials(first, second);
            if (initials.Any(frame.Backtrack.Contains))
            {
                continue;
            }

            var enabledInitials = initials.Where(id => frame.Enabled.Contains(id)).ToList();
            if (enabledInitials.Count == 0)
            {
                // The run that reverses the race cannot start with a thread enabled here: fall back to trying them all.
                frame.Backtrack.UnionWith(frame.Enabled);
                continue;
            }

            frame.Backtrack.Add(enabledInitials.FirstOrDefault(id => !frame.IsAsleepAtFrame(id), enabledInitials[0]));
        }
    }

    private void EnterFrame(Frame frame)
    {
        // Siblings explored before the chosen thread sleep in its subtree until a dependent step wakes them.
        foreach (var earlier in frame.Done)
        {
            if (earlier == frame.Chosen)
            {
                break;
            }

            if (frame.Footprints.TryGetValue(earlier, out var footprint))
            {
                _sleep.Add(new SleepEntry(earlier, footprint));
            }
        }

        _depth++;
    }

    private bool IsAsleep(int id)
    {
        foreach (var entry in _sleep)
        {
            if (entry.Thread == id)
            {
                return true;
            }
        }

        return false;
    }

    private readonly record struct SleepEntry(int Thread, Access[] Footprint);

    private sealed class Frame
    {
        public Frame(int point, int[] enabled, int chosen, bool isValue, int range)
        {
            Point = point;
            Enabled = enabled;
            Chosen = chosen;
            IsValue = isValue;
            Range = range;
            if (!isValue)
            {
                Done.Add(chosen);
                Backtrack.Add(chosen);
            }
        }

        public int Point { get; }

        public int[] Enabled { get; }

        public bool IsValue { get; }

        public int Range { get; }

        /// <summary>The thread (or value) this frame takes in the current iteration.</summary>
        public int Chosen { get; private set; }

        /// <summary>Threads explored here, in order.</summary>
        public List<int> Done { get; } = [];

        /// <summary>Threads that must be explored here (a superset of <see cref="Done"/>).</summary>
        public HashSet<int> Backtrack { get; } = [];

        /// <summary>The sleep set inherited when the frame was reached.</summary>
        public List<SleepEntry> Sleep { get; } = [];

        /// <summary>What each explored thread's step from here touched.</summary>
        public Dictionary<int, Access[]> Footprints { get; } = [];

        public bool IsAsleepAtFrame(int id) => Sleep.Any(entry => entry.Thread == id);

        /// <summary>Moves to the next untried option; false when there is none.</summary>
        public bool Advance()
        {
            if (IsValue)
            {
                if (Chosen + 1 >= Range)
                {
                    return false;
                }

                Chosen++;
                return true;
            }

            var next = -1;
            foreach (var id in Backtrack)
            {
                if (!Done.Contains(id) && !IsAsleepAtFrame(id) && (next < 0 || id < next))
                {
                    next = id;
                }
            }

            if (next < 0)
            {
                return false;
            }

            Done.Add(next);
            Chosen = next;
            return true;
        }
    }
}
