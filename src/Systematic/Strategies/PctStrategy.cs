using System.Diagnostics;

namespace Veralloc.Systematic.Strategies;

/// <summary>
/// Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): every thread gets
/// a random distinct priority, the highest-priority enabled thread always runs, and at <c>depth - 1</c> random steps
/// the running thread's priority drops below every initial priority (later drops go lower still).
/// </summary>
/// <remarks>
/// The steps are drawn from <c>1..k</c> where <c>k</c> is the longest iteration seen so far (the paper's bound on
/// the number of steps); the first iteration uses a guess. A change point drawn at a step where only one thread is
/// enabled (so the strategy is not asked) moves forward to the next step where it is, so every iteration keeps its
/// <c>d - 1</c> change points. See docs/design-notes/0021-strategies.md for the bound.
/// </remarks>
internal sealed class PctStrategy : ISchedulingStrategy
{
    private const int InitialStepGuess = 64;

    private readonly int _seed;
    private readonly int _changePoints;
    private readonly List<int> _priority = []; // thread ids, highest priority first
    private readonly List<int> _changeSteps = []; // ascending, zero-based point indexes
    private Random _random;
    private int _longestIteration;
    private int _demoted;
    private int _nextChange;

    public PctStrategy(int seed, int depth)
    {
        Debug.Assert(depth >= 1, "PCT depth is validated by TestOptions.");
        _seed = seed;
        _changePoints = depth - 1;
        _random = new Random(seed);
    }

    public string? DivergenceReason => null;

    public bool Exhausted => false;

    /// <summary>The change points applied in the last iteration (a test checks none is lost).</summary>
    internal int ChangePointsApplied => _nextChange;

    public bool PrepareIteration(int iteration)
    {
        _random = new Random(IterationSeed.Derive(_seed, iteration));
        _priority.Clear();
        _changeSteps.Clear();
        _demoted = 0;
        _nextChange = 0;
        var stepBound = _longestIteration > 0 ? _longestIteration : InitialStepGuess;
        var candidates = Math.Max(stepBound, _changePoints);
        while (_changeSteps.Count < _changePoints)
        {
            var step = _random.Next(candidates);
            if (!_changeSteps.Contains(step))
            {
                _changeSteps.Add(step);
            }
        }

        _changeSteps.Sort();
        return true;
    }

    public int ChooseThread(List<int> enabled, int currentId, int point)
    {
        // Thread ids are dense and created in order: a thread not yet ranked gets a random place among the rest.
        var highest = enabled[^1];
        for (var id = _priority.Count; id <= highest; id++)
        {
            _priority.Insert(_random.Next(_priority.Count - CountDemoted() + 1), id);
        }

        var chosen = HighestEnabled(enabled);
        if (_nextChange < _changeSteps.Count && _changeSteps[_nextChange] <= point)
        {
            // One change point per decision: one drawn at a forced step, or at the same decision as another, moves on to
            // the next decision instead of being lost. Demote the thread that would run to the very bottom.
            _nextChange++;
            _priority.Remove(chosen);
            _priority.Add(chosen);
            _demoted++;
            chosen = HighestEnabled(enabled);
        }

        return chosen;
    }

    public int ChooseValue(int range, int point) => _random.Next(range);

    public void IterationEnded(int points) => _longestIteration = Math.Max(_longestIteration, points);

    private int CountDemoted() => Math.Min(_demoted, _priority.Count);

    private int HighestEnabled(List<int> enabled)
    {
        foreach (var id in _priority)
        {
            if (enabled.Contains(id))
            {
                return id;
            }
        }

        throw new UnreachableException("Every enabled thread has a priority.");
    }
}
