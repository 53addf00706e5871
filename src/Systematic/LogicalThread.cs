namespace Veralloc.Systematic;

/// <summary>
/// A thread of the program under test. It runs on a real thread, but only one logical thread runs at a time and
/// control changes hands only at scheduling points.
/// </summary>
public sealed class LogicalThread
{
    internal LogicalThread(Execution execution, int id, string name, Action body, Worker worker)
    {
        Execution = execution;
        Id = id;
        Name = name;
        Body = body;
        Worker = worker;
    }

    /// <summary>The thread's id within its iteration: creation order, from 0.</summary>
    public int Id { get; }

    /// <summary>The name given at spawn.</summary>
    public string Name { get; }

    /// <summary>True once the thread's body has returned or thrown.</summary>
    public bool IsCompleted => State == ThreadState.Done;

    internal Execution Execution { get; }

    internal Action Body { get; }

    internal Worker Worker { get; }

    internal ThreadState State { get; set; } = ThreadState.Created;

    internal PendingKind Pending { get; set; } = PendingKind.Start;

    internal ControlledLock? PendingLock { get; set; }

    internal LogicalThread? PendingJoin { get; set; }

    /// <summary>The label set by <see cref="Scheduler.Describe"/>, shown in reported steps.</summary>
    internal string? Operation { get; set; }

    /// <summary>
    /// Blocks the calling logical thread until this one has completed; a scheduling point.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The caller is not a logical thread of the same iteration, or a thread joins itself.
    /// </exception>
    public void Join()
    {
        var current = Scheduler.CurrentThread;
        if (current is null || current.Execution != Execution)
        {
            throw new InvalidOperationException($"Join of '{Name}' must be called from a logical thread of the same iteration.");
        }

        if (current == this)
        {
            throw new InvalidOperationException($"Logical thread '{Name}' cannot join itself.");
        }

        Execution.SchedulingPoint(current, PendingKind.Join, null, this);
    }

    /// <inheritdoc />
    public override string ToString() => $"t{Id} {Name}";
}

internal enum ThreadState
{
    Created,
    Waiting,
    Running,
    Done,
}

internal enum PendingKind
{
    None,
    Start,
    Acquire,
    Join,
    Yield,

    /// <summary>The point right after a release: the lock is free, and another thread may take it before this one goes on.</summary>
    AfterRelease,
}
