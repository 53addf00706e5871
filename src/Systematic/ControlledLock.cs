using System.Diagnostics;

namespace Veralloc.Systematic;

/// <summary>
/// A mutual-exclusion lock whose <see cref="Enter"/> and <see cref="Exit"/> are scheduling points. A logical thread
/// that enters a lock held by another is blocked, as a real thread would be, until the holder exits.
/// </summary>
/// <remarks>
/// Outside the logical threads (scenario setup on the test thread, or an invariant check, which the engine runs
/// while the other threads are parked) the lock is a pass-through: taking it when free does nothing, and taking it
/// while a logical thread holds it throws, because such a check would read state that is mid-update.
/// Not re-entrant: a thread that enters a lock it holds is a bug and is reported.
/// </remarks>
public sealed class ControlledLock
{
    private bool _heldOutside;

    internal ControlledLock(Execution execution, string name)
    {
        Execution = execution;
        Name = name;
    }

    /// <summary>The name used in reports.</summary>
    public string Name { get; }

    /// <summary>True while a logical thread holds the lock.</summary>
    public bool IsHeld => Owner is not null;

    /// <summary>The name of the logical thread that holds the lock, or null.</summary>
    public string? OwnerName => Owner?.Name;

    internal Execution Execution { get; }

    internal LogicalThread? Owner { get; set; }

    /// <summary>
    /// A scheduling point, then acquires the lock; while another logical thread holds it the caller is blocked
    /// (not enabled), as a real thread would be.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The calling logical thread already holds the lock; or code outside the logical threads takes it while a
    /// logical thread holds it.
    /// </exception>
    public void Enter()
    {
        var current = Scheduler.CurrentThread;
        if (Execution.InCheckMode || current is null || current.Execution != Execution)
        {
            EnterOutside();
            return;
        }

        if (Execution.Aborting)
        {
            throw new ExecutionCanceledException();
        }

        if (Owner == current)
        {
            throw new InvalidOperationException($"Logical thread '{current.Name}' entered lock '{Name}' that it already holds (the lock is not re-entrant).");
        }

        Execution.SchedulingPoint(current, PendingKind.Acquire, this, null);
        Debug.Assert(Owner == current, "An acquire step leaves the lock with its caller.");
    }

    /// <summary>
    /// Releases the lock held by the calling logical thread, then reaches a scheduling point: the lock is free
    /// there, so invariants guarded by it run, and another thread may take it before the caller goes on.
    /// </summary>
    /// <exception cref="SynchronizationLockException">The calling logical thread does not hold the lock.</exception>
    public void Exit()
    {
        var current = Scheduler.CurrentThread;
        if (Execution.InCheckMode || current is null || current.Execution != Execution)
        {
            ExitOutside();
            return;
        }

        if (Execution.Aborting)
        {
            // Unwinding a cancelled iteration: finally blocks release what they hold; nothing is scheduled.
            if (Owner == current)
            {
                Owner = null;
            }

            return;
        }

        if (Owner != current)
        {
            var holder = Owner is null ? "nobody" : $"'{Owner.Name}'";
            throw new SynchronizationLockException($"Logical thread '{current.Name}' released lock '{Name}' held by {holder}.");
        }

        Owner = null;
        Execution.Released(current, this);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

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
