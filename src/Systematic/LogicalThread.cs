using Veralloc.Systematic.Dpor;

namespace Veralloc.Systematic;

/// <summary>
/// A thread of the program under test. It runs on a real thread, but only one logical thread runs at a time and
/// control changes hands only at scheduling points.
/// </summary>
/// <remarks>
/// A logical thread may be synchronous (an <see cref="Action"/>) or asynchronous (a <see cref="Func{Task}"/>, or an
/// <c>async void</c> lambda). Asynchronous code runs on the thread's own worker under a controlled
/// <see cref="SynchronizationContext"/>: an <c>await</c> that suspends posts its continuation back to the thread, and
/// running that continuation is a scheduling point (<see cref="StepKind.Resume"/>).
/// </remarks>
public sealed class LogicalThread
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.None);
    private ControlledSynchronizationContext? _synchronizationContext;

    internal LogicalThread(Execution execution, int id, string name, Action? body, Func<Task>? asyncBody, Worker worker, VectorClock clock)
    {
        Execution = execution;
        Id = id;
        Name = name;
        Body = body;
        AsyncBody = asyncBody;
        Worker = worker;
        Clock = clock;
        FlowTag = new FlowTag(execution, this);
    }

    /// <summary>The thread's id within its iteration: creation order, from 0.</summary>
    public int Id { get; }

    /// <summary>The name given at spawn.</summary>
    public string Name { get; }

    /// <summary>True once the thread's body has returned or thrown.</summary>
    public bool IsCompleted => State == ThreadState.Done;

    /// <summary>
    /// Completes when the thread's body (and every continuation of its <c>await</c>s) has finished without a bug. Awaiting
    /// it from another logical thread is the asynchronous form of <see cref="Join"/>; <c>Task.WhenAll</c> over several
    /// threads' completions works too.
    /// </summary>
    /// <remarks>
    /// The end of the thread happens before whatever the caller does after reading this property once the thread has
    /// ended, or after an await of it resumes: an await of an already complete task continues inline, out of the
    /// engine's sight, so the edge is taken when the task is read.
    /// </remarks>
    public Task Completion
    {
        get
        {
            var reader = Scheduler.CurrentThread;
            if (reader is not null && reader != this && reader.Execution == Execution)
            {
                // Whether the task is complete yet depends on the order of this read and the thread's end.
                Execution.Touch(reader, AccessKeys.Thread(Id), AccessKind.Global);
                if (State == ThreadState.Done)
                {
                    reader.Clock.Join(Clock);
                }
            }

            return _completion.Task;
        }
    }

    internal Execution Execution { get; }

    internal Action? Body { get; }

    internal Func<Task>? AsyncBody { get; }

    /// <summary>The task the asynchronous body returned, once it has started.</summary>
    internal Task? BodyTask { get; set; }

    internal Worker Worker { get; }

    internal FlowTag FlowTag { get; }

    internal ControlledSynchronizationContext SynchronizationContext => _synchronizationContext ??= new ControlledSynchronizationContext(this);

    /// <summary>Happens-before knowledge of this thread (see <see cref="Shared{T}"/>).</summary>
    internal VectorClock Clock { get; }

    /// <summary>Continuations posted to this thread by its awaits, oldest first.</summary>
    internal Queue<PostedContinuation> Continuations { get; } = new();

    /// <summary>Outstanding <c>async void</c> operations started on this thread.</summary>
    internal int OutstandingOperations { get; set; }

    /// <summary>Set by a condition's pulse; consumed when the thread wakes.</summary>
    internal bool Notified { get; set; }

    /// <summary>How many controlled objects this thread has created: the sequence part of their access keys.</summary>
    internal int CreatedObjects { get; set; }

    /// <summary>Read by the driver while a worker may write it (when an iteration unwinds), hence volatile.</summary>
    internal ThreadState State
    {
        get => (ThreadState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    internal PendingKind Pending { get; set; } = PendingKind.Start;

    /// <summary>The lock, semaphore, event, condition, shared variable or thread the pending step is about.</summary>
    internal IControlledObject? PendingTarget { get; set; }

    /// <summary>The label set by <see cref="Scheduler.Describe"/>, shown in reported steps.</summary>
    internal string? Operation { get; set; }

    /// <summary>True when the body, every <c>async void</c> operation and every posted continuation have run.</summary>
    internal bool AsyncWorkDone =>
        (BodyTask is null || BodyTask.IsCompleted) && OutstandingOperations == 0 && Continuations.Count == 0;

    private int _state = (int)ThreadState.Created;

    /// <summary>
    /// Blocks the calling logical thread until this one has completed; a scheduling point.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The caller is not a logical thread of the same iteration, or a thread joins itself.
    /// </exception>
    public void Join()
    {
        var current = Scheduler.CurrentThread;
        if (current is null || current.Execution != Execution || Execution.InCheckMode)
        {
            throw new InvalidOperationException($"Join of '{Name}' must be called from a logical thread of the same iteration.");
        }

        if (current == this)
        {
            throw new InvalidOperationException($"Logical thread '{Name}' cannot join itself.");
        }

        Execution.SchedulingPoint(current, PendingKind.Join, new JoinTarget(this));
        current.Clock.Join(Clock);
        Execution.Touch(current, AccessKeys.Thread(Id), AccessKind.Causal);
        Execution.Log(current, StepKind.Join, Name);
    }

    /// <inheritdoc />
    public override string ToString() => $"t{Id} {Name}";

    /// <summary>
    /// A release-like step (unlock, semaphore release, event set, pulse): everything this thread has done so far now
    /// happens before whoever later acquires from <paramref name="synchronizer"/>; what it does next does not.
    /// </summary>
    internal void Publish(VectorClock synchronizer)
    {
        synchronizer.Join(Clock);
        Clock.Tick(Id);
    }

    /// <summary>True while <see cref="SignalCompletion"/> runs the continuations of this thread's completion.</summary>
    internal bool SignallingCompletion { get; private set; }

    /// <summary>Completes <see cref="Completion"/>; called on the thread's own worker, so awaiters' continuations are posted by it.</summary>
    internal void SignalCompletion()
    {
        SignallingCompletion = true;
        try
        {
            _completion.TrySetResult();
        }
        finally
        {
            SignallingCompletion = false;
        }
    }
}

/// <summary>A thread as the target of a join: its name, and whether it has ended.</summary>
internal sealed class JoinTarget(LogicalThread thread) : IControlledObject
{
    public LogicalThread Thread { get; } = thread;

    public string Name => Thread.Name;
}

/// <summary>An await continuation posted to a logical thread, with the poster's happens-before knowledge.</summary>
internal readonly record struct PostedContinuation(SendOrPostCallback Callback, object? State, VectorClock PosterClock);

internal enum ThreadState
{
    Created,
    Waiting,
    Running,
    Done,
}

/// <summary>What a logical thread waits to do at a scheduling point; it is enabled when that can happen now.</summary>
internal enum PendingKind
{
    None,
    Start,
    Acquire,
    Join,
    Yield,

    /// <summary>The point right after a release or a signal: another thread may run before this one goes on.</summary>
    Continue,
    SemaphoreWait,
    EventWait,
    ConditionWait,
    Read,
    Write,

    /// <summary>Waiting for a continuation of an <c>await</c> to be posted.</summary>
    Await,
    Delay,

    /// <summary>A controlled timer waiting for its due time.</summary>
    Timer,
}

/// <summary>Anything a pending step can be about: it has a name for reports and traces.</summary>
internal interface IControlledObject
{
    string Name { get; }
}
