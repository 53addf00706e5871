using Veralloc.Systematic.Dpor;

namespace Veralloc.Systematic;

/// <summary>
/// A mutual-exclusion lock whose <see cref="Enter"/> and <see cref="Exit"/> are scheduling points. A logical thread
/// that enters a lock held by another is blocked, as a real thread would be, until the holder exits.
/// </summary>
/// <remarks>
/// Outside the logical threads (scenario setup on the test thread, or an invariant check, which the engine runs
/// while the other threads are parked) the lock is a pass-through: taking it when free does nothing, and taking it
/// while a logical thread holds it throws, because such a check would read state that is mid-update. Used from any
/// other thread (a <c>Task.Run</c> or thread-pool thread) it throws <see cref="UncontrolledConcurrencyException"/> and
/// the iteration is reported as <see cref="BugKind.UncontrolledConcurrency"/>: mutual exclusion is never silently lost.
/// Not re-entrant: a thread that enters a lock it holds is a bug and is reported. Release → acquire is a
/// happens-before edge for <see cref="Shared{T}"/>.
/// </remarks>
public sealed class ControlledLock : IControlledObject
{
    private readonly VectorClock _clock = new();
    private bool _heldOutside;

    internal ControlledLock(Execution execution, string name)
    {
        Execution = execution;
        Name = name;
        AccessKey = execution.NewAccessKey();
    }

    /// <summary>The name used in reports.</summary>
    public string Name { get; }

    /// <summary>True while a logical thread holds the lock.</summary>
    public bool IsHeld => Owner is not null;

    /// <summary>The name of the logical thread that holds the lock, or null.</summary>
    public string? OwnerName => Owner?.Name;

    internal Execution Execution { get; }

    internal long AccessKey { get; }

    /// <summary>How many times a logical thread has acquired the lock in this iteration.</summary>
    internal long Acquisitions { get; private set; }

    internal LogicalThread? Owner { get; set; }

    /// <summary>
    /// A scheduling point, then acquires the lock; while another logical thread holds it the caller is blocked
    /// (not enabled), as a real thread would be.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The calling logical thread already holds the lock; or code outside the logical threads takes it while a
    /// logical thread holds it.
    /// </exception>
    /// <exception cref="UncontrolledConcurrencyException">The caller is a thread the engine does not control.</exception>
    public void Enter()
    {
        var current = Execution.CallerOf("lock", Name);
        if (current is null)
        {
            EnterOutside();
            return;
        }

        if (Owner == current)
        {
            throw new InvalidOperationException($"Logical thread '{current.Name}' entered lock '{Name}' that it already holds (the lock is not re-entrant).");
        }

        Execution.SchedulingPoint(current, PendingKind.Acquire, this);
        AcquireChosen(current);
    }

    /// <summary>
    /// Releases the lock held by the calling logical thread, then reaches a scheduling point: the lock is free
    /// there, so invariants guarded by it run, and another thread may take it before the caller goes on.
    /// </summary>
    /// <exception cref="SynchronizationLockException">The calling logical thread does not hold the lock.</exception>
    /// <exception cref="UncontrolledConcurrencyException">The caller is a thread the engine does not control.</exception>
    public void Exit()
    {
        if (Execution.Aborting && Scheduler.CurrentThread is { } unwinding && unwinding.Execution == Execution)
        {
            // Unwinding a cancelled iteration: finally blocks release what they hold; nothing is scheduled.
            if (Owner == unwinding)
            {
                Owner = null;
            }

            return;
        }

        var current = Execution.CallerOf("lock", Name);
        if (current is null)
        {
            ExitOutside();
            return;
        }

        ReleaseHeld(current);
        Execution.SchedulingPoint(current, PendingKind.Continue, this);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The acquire step, once <paramref name="current"/> has been chosen with the lock free.</summary>
    internal void AcquireChosen(LogicalThread current)
    {
        Owner = current;
        Acquisitions++;
        current.Clock.Join(_clock);
        Execution.Touch(current, AccessKey, AccessKind.Acquire);
        Execution.Log(current, StepKind.Acquire, Name);
    }

    /// <summary>Frees the lock <paramref name="current"/> holds and logs the release; no scheduling point.</summary>
    internal void ReleaseHeld(LogicalThread current)
    {
        if (Owner != current)
        {
            var holder = Owner is null ? "nobody" : $"'{Owner.Name}'";
            throw new SynchronizationLockException($"Logical thread '{current.Name}' released lock '{Name}' held by {holder}.");
        }

        Owner = null;
        current.Publish(_clock);
        Execution.Touch(current, AccessKey, AccessKind.Release);
        Execution.Log(current, StepKind.Release, Name);
    }

    private void EnterOutside()
    {
        if (Owner is not null)
        {
            throw new InvalidOperationException($"Lock '{Name}' is held by logical thread '{Owner.Name}': code outside the logical threads (setup, an invariant check) may only take a free lock. Register the check with the lock as its guard.");
        }

        if (_heldOutside)
        {
            throw new InvalidOperationException($"Lock '{Name}' entered twice outside the logical threads (the lock is not re-entrant).");
        }

        _heldOutside = true;
    }

    private void ExitOutside()
    {
        if (!_heldOutside)
        {
            throw new SynchronizationLockException($"Lock '{Name}' released outside the logical threads without being held there.");
        }

        _heldOutside = false;
    }
}

/// <summary>Unwinds a logical thread of an iteration that has already found its bug.</summary>
internal sealed class ExecutionCanceledException : Exception
{
    public ExecutionCanceledException()
        : base("The iteration was cancelled after a bug was found.")
    {
    }
}
