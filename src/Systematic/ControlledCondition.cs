using Veralloc.Systematic.Dpor;

namespace Veralloc.Systematic;

/// <summary>
/// A condition variable over a <see cref="ControlledLock"/>, the controlled counterpart of <c>Monitor.Wait</c> /
/// <c>Monitor.Pulse</c>: <see cref="Wait"/> releases the lock, blocks until pulsed, and takes the lock again; both the
/// wake-up and the re-acquire are scheduling points, so every order of waking threads and lock takers is explored.
/// </summary>
/// <remarks>
/// <see cref="Pulse"/> wakes the longest-waiting thread (FIFO), <see cref="PulseAll"/> every waiter; there are no spurious
/// wake-ups. Both require the caller to hold the lock, as <c>Monitor</c> does. A pulse happens before the wake-up it
/// causes. Used from a thread the engine does not own it throws <see cref="UncontrolledConcurrencyException"/>.
/// </remarks>
public sealed class ControlledCondition : IControlledObject
{
    private readonly Execution _execution;
    private readonly long _accessKey;
    private readonly VectorClock _clock = new();
    private readonly Queue<LogicalThread> _waiters = new();

    internal ControlledCondition(Execution execution, string name, ControlledLock lockObject)
    {
        ArgumentNullException.ThrowIfNull(lockObject);
        if (lockObject.Execution != execution)
        {
            throw new ArgumentException($"Lock '{lockObject.Name}' belongs to another iteration.", nameof(lockObject));
        }

        _execution = execution;
        _accessKey = execution.NewAccessKey();
        Name = name;
        Lock = lockObject;
    }

    /// <summary>The name used in reports.</summary>
    public string Name { get; }

    /// <summary>The lock the condition is used with.</summary>
    public ControlledLock Lock { get; }

    /// <summary>The number of threads waiting now.</summary>
    public int WaitingCount => _waiters.Count;

    /// <summary>Releases <see cref="Lock"/>, waits for a pulse, then takes the lock again.</summary>
    /// <exception cref="SynchronizationLockException">The caller does not hold <see cref="Lock"/>.</exception>
    /// <exception cref="InvalidOperationException">Called outside the logical threads, where nothing could pulse it.</exception>
    /// <exception cref="UncontrolledConcurrencyException">The caller is a thread the engine does not control.</exception>
    public void Wait()
    {
        var current = _execution.CallerOf("condition", Name) ?? throw new InvalidOperationException($"Condition '{Name}' can be waited on only by a logical thread.");
        Lock.ReleaseHeld(current);
        current.Notified = false;
        _waiters.Enqueue(current);
        _execution.Touch(current, _accessKey, AccessKind.Write);
        _execution.SchedulingPoint(current, PendingKind.ConditionWait, this);
        current.Notified = false;
        current.Clock.Join(_clock);
        _execution.Touch(current, _accessKey, AccessKind.Write);
        _execution.Log(current, StepKind.Wait, Name);
        _execution.SchedulingPoint(current, PendingKind.Acquire, Lock);
        Lock.AcquireChosen(current);
    }

    /// <summary>Wakes the longest-waiting thread, if any; not a scheduling point (the caller still holds the lock).</summary>
    /// <exception cref="SynchronizationLockException">The caller does not hold <see cref="Lock"/>.</exception>
    public void Pulse() => Wake(all: false);

    /// <summary>Wakes every waiting thread; not a scheduling point (the caller still holds the lock).</summary>
    /// <exception cref="SynchronizationLockException">The caller does not hold <see cref="Lock"/>.</exception>
    public void PulseAll() => Wake(all: true);

    /// <inheritdoc />
    public override string ToString() => Name;

    private void Wake(bool all)
    {
        var current = _execution.CallerOf("condition", Name) ?? throw new InvalidOperationException($"Condition '{Name}' can be pulsed only by a logical thread.");
        if (Lock.Owner != current)
        {
            throw new SynchronizationLockException($"Logical thread '{current.Name}' pulsed condition '{Name}' without holding lock '{Lock.Name}'.");
        }

        current.Publish(_clock);
        _execution.Touch(current, _accessKey, AccessKind.Write);
        while (_waiters.Count > 0)
        {
            _waiters.Dequeue().Notified = true;
            if (!all)
            {
                break;
            }
        }

        _execution.Log(current, StepKind.Signal, Name);
    }
}
