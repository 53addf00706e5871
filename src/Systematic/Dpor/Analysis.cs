using System.Numerics;

namespace Veralloc.Systematic.Dpor;

/// <summary>
/// The happens-before relation of one iteration's steps and the races in it: step <c>i</c> happens before step
/// <c>j</c> when they are in one thread in that order, or touch a common object in a way that fixes their order, or
/// through a chain of such pairs.
/// </summary>
internal sealed class Analysis
{
    private readonly EventLog _log;
    private readonly ulong[][] _before;
    private readonly int _words;

    public Analysis(EventLog log)
    {
        _log = log;
        var count = log.Steps.Count;
        _words = (count + 63) / 64;
        _before = new ulong[count][];
        var lastOfThread = new Dictionary<int, int>();
        for (var j = 0; j < count; j++)
        {
            var before = new ulong[_words];
            if (lastOfThread.TryGetValue(log.Steps[j].Thread, out var previous))
            {
                Include(before, previous);
            }

            for (var i = 0; i < j; i++)
            {
                if (log.Steps[i].Thread != log.Steps[j].Thread && !IsSet(before, i) && log.Dependent(i, j))
                {
                    Include(before, i);
                }
            }

            _before[j] = before;
            lastOfThread[log.Steps[j].Thread] = j;
        }
    }

    /// <summary>True when step <paramref name="first"/> happens before step <paramref name="second"/>.</summary>
    public bool HappensBefore(int first, int second) => first < second && IsSet(_before[second], first);

    /// <summary>
    /// The races of the iteration: pairs <c>(i, j)</c>, <c>i &lt; j</c>, of steps of different threads whose order could
    /// have been the other one. Two acquires of a lock race when no acquire of it lies between them; other conflicting
    /// steps race when nothing else orders them (no step happens after <c>i</c> and before <c>j</c>).
    /// </summary>
    public IEnumerable<(int First, int Second)> Races()
    {
        var steps = _log.Steps;
        var lastAcquire = new Dictionary<long, int>();
        for (var j = 0; j < steps.Count; j++)
        {
            var accesses = _log.AccessesOf(j).ToArray();
            foreach (var access in accesses)
            {
                if (access.Kind == AccessKind.Acquire)
                {
                    if (lastAcquire.TryGetValue(access.Key, out var i) && steps[i].Thread != steps[j].Thread)
                    {
                        yield return (i, j);
                    }

                    lastAcquire[access.Key] = j;
                }
            }

            for (var i = 0; i < j; i++)
            {
                if (steps[i].Thread != steps[j].Thread && HappensBefore(i, j) && Races(i, accesses) && IsImmediate(i, j))
                {
                    yield return (i, j);
                }
            }
        }
    }

    /// <summary>
    /// The threads that could run first in <c>v</c>: the steps after <paramref name="first"/> that do not happen after
    /// it, then <paramref name="second"/>. Running one of them at <paramref name="first"/>'s point starts a run that
    /// reverses the race. Ordered by preference: <paramref name="second"/>'s thread first.
    /// </summary>
    public List<int> Initials(int first, int second)
    {
        var steps = _log.Steps;
        var inV = new List<int>();
        for (var k = first + 1; k < second; k++)
        {
            if (!HappensBefore(first, k))
            {
                inV.Add(k);
            }
        }

        inV.Add(second);
        var initials = new List<int>();
        var seenThreads = new HashSet<int>();
        for (var index = 0; index < inV.Count; index++)
        {
            var k = inV[index];
            if (!seenThreads.Add(steps[k].Thread))
            {
                continue;
            }

            var hasPredecessorInV = false;
            for (var earlier = 0; earlier < index && !hasPredecessorInV; earlier++)
            {
                hasPredecessorInV = HappensBefore(inV[earlier], k);
            }

            if (!hasPredecessorInV)
            {
                initials.Add(steps[k].Thread);
            }
        }

        var preferred = steps[second].Thread;
        if (initials.Remove(preferred))
        {
            initials.Insert(0, preferred);
        }

        return initials;
    }

    /// <summary>
    /// A fingerprint of the iteration's equivalence class: equal for two runs that differ only in the order of
    /// independent steps. It hashes the lexicographically least linearization of the partial order (by thread id)
    /// together with each step's happens-before predecessors in that linearization and its accesses.
    /// </summary>
    public ulong Fingerprint()
    {
        var steps = _log.Steps;
        var count = steps.Count;
        var emitted = new bool[count];
        var position = new int[count];
        var byThread = new SortedDictionary<int, Queue<int>>();
        for (var step = 0; step < count; step++)
        {
            if (!byThread.TryGetValue(steps[step].Thread, out var queue))
            {
                byThread[steps[step].Thread] = queue = new Queue<int>();
            }

            queue.Enqueue(step);
        }

        var predecessors = new List<int>();
        var hash = 14695981039346656037UL;
        for (var next = 0; next < count; next++)
        {
            // Only the first step a thread has left can be ready: its earlier steps happen before the rest.
            var pick = -1;
            foreach (var queue in byThread.Values)
            {
                if (queue.Count > 0 && Ready(queue.Peek(), emitted))
                {
                    pick = queue.Dequeue();
                    break;
                }
            }

            emitted[pick] = true;
            position[pick] = next;
            hash = Mix(hash, (ulong)(uint)steps[pick].Thread);
            predecessors.Clear();
            for (var earlier = 0; earlier < pick; earlier++)
            {
                if (IsSet(_before[pick], earlier))
                {
                    predecessors.Add(position[earlier]);
                }
            }

            // By canonical position, not by position in this run: equivalent runs list them in different orders.
            predecessors.Sort();
            foreach (var predecessor in predecessors)
            {
                hash = Mix(hash, (ulong)predecessor + 1_000_003);
            }

            foreach (var access in _log.AccessesOf(pick))
            {
                hash = Mix(Mix(hash, (ulong)access.Key), (ulong)access.Kind);
            }
        }

        return Mix(hash, (ulong)count);
    }

    private bool Ready(int step, bool[] emitted)
    {
        var before = _before[step];
        for (var word = 0; word < before.Length; word++)
        {
            var pending = before[word];
            while (pending != 0)
            {
                var bit = BitOperations.TrailingZeroCount(pending);
                if (!emitted[(word * 64) + bit])
                {
                    return false;
                }

                pending &= pending - 1;
            }
        }

        return true;
    }

    private bool Races(int first, Access[] second)
    {
        foreach (var a in _log.AccessesOf(first))
        {
            foreach (var b in second)
            {
                if (a.RacesWith(b))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>True when no step happens after <paramref name="first"/> and before <paramref name="second"/>.</summary>
    private bool IsImmediate(int first, int second)
    {
        for (var k = first + 1; k < second; k++)
        {
            if (HappensBefore(first, k) && HappensBefore(k, second))
            {
                return false;
            }
        }

        return true;
    }

    private static ulong Mix(ulong hash, ulong value) => (hash ^ value) * 1099511628211UL;

    private static bool IsSet(ulong[] bits, int index) => (bits[index >> 6] & (1UL << (index & 63))) != 0;

    private void Include(ulong[] bits, int step)
    {
        bits[step >> 6] |= 1UL << (step & 63);
        var other = _before[step];
        for (var word = 0; word < _words && word < other.Length; word++)
        {
            bits[word] |= other[word];
        }
    }
}
