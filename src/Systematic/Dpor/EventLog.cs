namespace Veralloc.Systematic.Dpor;

/// <summary>How a step touches a controlled object, for the dependence relation of partial-order reduction.</summary>
internal enum AccessKind : byte
{
    /// <summary>A read that commutes with other reads of the same object (<see cref="Shared{T}.Read"/>).</summary>
    Read,

    /// <summary>A change, or a read-modify-write, of the object: conflicts with every other access to it.</summary>
    Write,

    /// <summary>A lock acquire: conflicts with every access to the lock; acquires of one lock race with each other.</summary>
    Acquire,

    /// <summary>A lock release: orders later acquires after it, but is never reversed with them (they were disabled).</summary>
    Release,

    /// <summary>An edge that orders two steps but can never be reversed (spawn before start, end before join).</summary>
    Causal,

    /// <summary>Something the reduction does not model precisely (time, async continuations): conflicts with everything.</summary>
    Global,

    /// <summary>Not an access: a controlled random value drawn during the step, kept so that runs with different values differ.</summary>
    Value,
}

/// <summary>One access of a step: the object's key and how it was touched.</summary>
internal readonly record struct Access(long Key, AccessKind Kind)
{
    /// <summary>True when the two accesses must keep their order (they touch one object, not both reading it).</summary>
    public bool ConflictsWith(Access other)
    {
        if (Kind == AccessKind.Value || other.Kind == AccessKind.Value)
        {
            return false;
        }

        if (Kind == AccessKind.Global || other.Kind == AccessKind.Global)
        {
            return true;
        }

        return Key == other.Key && !(Kind == AccessKind.Read && other.Kind == AccessKind.Read);
    }

    /// <summary>True when the two accesses conflict and the order of their steps could have been the other one.</summary>
    public bool RacesWith(Access other)
    {
        if (!ConflictsWith(other))
        {
            return false;
        }

        if (Kind == AccessKind.Global || other.Kind == AccessKind.Global)
        {
            return true;
        }

        // Causal edges cannot be reversed; acquires race along the lock's chain of acquires instead; releases never race.
        return Kind is not (AccessKind.Causal or AccessKind.Acquire or AccessKind.Release)
            && other.Kind is not (AccessKind.Causal or AccessKind.Acquire or AccessKind.Release);
    }
}

/// <summary>Keys of the objects the engine itself synchronizes through.</summary>
internal static class AccessKeys
{
    /// <summary>The key of everything at once (see <see cref="AccessKind.Global"/>).</summary>
    public const long Global = -1;

    /// <summary>Spawns by logical threads are ordered among themselves, so thread ids mean the same in equivalent runs.</summary>
    public const long SpawnRegistry = 1L << 61;

    /// <summary>The lifetime of logical thread <paramref name="id"/>: its spawn, start, end and the joins of it.</summary>
    public static long Thread(int id) => (1L << 62) | (uint)id;

    /// <summary>
    /// The key of the <paramref name="sequence"/>-th object created by logical thread <paramref name="creator"/> (-1: the
    /// setup). It depends only on the creator's own history, never on the interleaving, so an object has the same key in
    /// every run where its creator did the same.
    /// </summary>
    public static long Object(int creator, int sequence) => ((long)(creator + 1) << 32) | (uint)sequence;
}

/// <summary>A step of one iteration: the logical thread chosen at a scheduling point, running until its next one.</summary>
internal readonly record struct Step(int Point, int Thread, int AccessStart, int AccessCount);

/// <summary>
/// The steps of one iteration with what each touched, recorded for dynamic partial-order reduction and for counting
/// equivalence classes (Mazurkiewicz traces). Filled by the execution; the buffers are reused across iterations.
/// </summary>
internal sealed class EventLog
{
    private readonly List<Step> _steps = [];
    private readonly List<Access> _accesses = [];
    private Analysis? _analysis;

    public IReadOnlyList<Step> Steps => _steps;

    public void Clear()
    {
        _steps.Clear();
        _accesses.Clear();
        _analysis = null;
    }

    /// <summary>A thread was chosen at <paramref name="point"/>: a new step begins.</summary>
    public void BeginStep(int point, int thread)
    {
        CloseLastStep();
        _steps.Add(new Step(point, thread, _accesses.Count, 0));
        _analysis = null;
    }

    /// <summary>The running step touched <paramref name="key"/>.</summary>
    public void Touch(long key, AccessKind kind)
    {
        if (_steps.Count == 0)
        {
            return;
        }

        _accesses.Add(new Access(key, kind));
        _analysis = null;
    }

    public ReadOnlySpan<Access> AccessesOf(int step)
    {
        var record = _steps[step];
        var count = step == _steps.Count - 1 ? _accesses.Count - record.AccessStart : record.AccessCount;
        return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_accesses).Slice(record.AccessStart, count);
    }

    /// <summary>True when the two steps touch a common object in a way that fixes their order.</summary>
    public bool Dependent(int first, int second) => Dependent(AccessesOf(first), AccessesOf(second));

    public static bool Dependent(ReadOnlySpan<Access> first, ReadOnlySpan<Access> second)
    {
        foreach (var a in first)
        {
            foreach (var b in second)
            {
                if (a.ConflictsWith(b))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The happens-before relation of the recorded steps, computed once per iteration.</summary>
    public Analysis Analyze() => _analysis ??= new Analysis(this);

    private void CloseLastStep()
    {
        if (_steps.Count > 0)
        {
            var last = _steps[^1];
            _steps[^1] = last with { AccessCount = _accesses.Count - last.AccessStart };
        }
    }
}
