using Veralloc.Systematic.Dpor;

namespace Veralloc.Systematic;

/// <summary>
/// The synchronization context of one logical thread. An <c>await</c> that suspends inside the thread captures it, so
/// the continuation comes back here instead of to the thread pool: it is queued on the thread, and running it is a
/// scheduling point (<see cref="StepKind.Resume"/>). <c>async void</c> operations are counted, so the thread ends only
/// when they have finished.
/// </summary>
/// <remarks>
/// A continuation must be posted by a logical thread of the same iteration (the one that completed the awaited task).
/// One posted by any other thread (a real timer, I/O, <c>Task.Run</c>) means the awaited task was completed outside the
/// engine's control: that is reported as <see cref="BugKind.UncontrolledConcurrency"/> and the continuation is dropped.
/// </remarks>
internal sealed class ControlledSynchronizationContext(LogicalThread owner) : SynchronizationContext
{
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        var execution = owner.Execution;
        var poster = Scheduler.CurrentThread;
        if (poster is null || poster.Execution != execution)
        {
            execution.ReportUncontrolled(
                null,
                $"an await in logical thread '{owner.Name}' was resumed by thread {UncontrolledWork.DescribeCurrentThread()}, which the engine does not control: the awaited task was completed by a real timer (Task.Delay), I/O, Task.Run or another thread; use Scheduler.Delay, ctx.TimeProvider or the controlled primitives");
            return;
        }

        if (owner.State == ThreadState.Done)
        {
            execution.ReportUncontrolled(
                poster,
                $"an await continuation of logical thread '{owner.Name}' was posted by '{poster.Name}' after '{owner.Name}' had ended: asynchronous work it started without awaiting outlived it");
            return;
        }

        var clock = poster.Clock.Copy();
        if (poster.SignallingCompletion)
        {
            // Posted because a thread's completion completed the awaited task, which may combine several threads'
            // completions (Task.WhenAll): every thread that has ended happens before the continuation. This may hide
            // a race with an ended thread the await did not depend on (Task.WhenAny); it never reports a false one.
            execution.JoinEndedThreads(clock);
        }

        owner.Continuations.Enqueue(new PostedContinuation(d, state, clock));
        execution.Touch(poster, AccessKeys.Global, AccessKind.Global);
        poster.Clock.Tick(poster.Id);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Scheduler.CurrentThread != owner)
        {
            throw new NotSupportedException($"A synchronous Send to logical thread '{owner.Name}' from another thread would block outside the engine's control; post instead.");
        }

        d(state);
    }

    public override SynchronizationContext CreateCopy() => this;

    public override void OperationStarted() => owner.OutstandingOperations++;

    public override void OperationCompleted() => owner.OutstandingOperations--;
}
