using System.Diagnostics.Tracing;

namespace Veralloc.Systematic;

/// <summary>Marks the execution context of a logical thread (or of a scenario's setup) so work that escapes it is seen.</summary>
/// <param name="Execution">The iteration.</param>
/// <param name="Thread">The logical thread, or null for the setup on the driver thread.</param>
internal sealed record FlowTag(Execution Execution, LogicalThread? Thread);

/// <summary>
/// Detects concurrency that escapes the engine, as it happens, by two means that need no rewriting of the program:
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A <see cref="FlowTag"/> in an <see cref="AsyncLocal{T}"/>: the execution context flows into <c>Task.Run</c>,
/// thread-pool work items, timer callbacks, <c>new Thread</c> and await continuations, and the runtime calls back when a
/// thread switches to a context carrying the tag. A switch on any thread but the tagged logical thread's own worker is
/// work running outside the engine's control.</item>
/// <item>The runtime's task events: <c>TaskScheduled</c> is raised synchronously on the thread that queues a task to a
/// task scheduler (<c>Task.Run</c>, <c>TaskFactory.StartNew</c>, a <c>ContinueWith</c> continuation), so a task queued
/// by a logical thread is reported at the step that queued it, before it can run. The listener is enabled only while
/// some systematic run is active.</item>
/// </list>
/// Code that suppresses execution-context flow and starts a thread that never touches a controlled primitive escapes
/// both; docs/design-notes/0081-uncontrolled-concurrency.md lists what is and is not caught.
/// </remarks>
internal static class UncontrolledWork
{
    private static readonly AsyncLocal<FlowTag?> s_flow = new(OnFlowChanged);
    private static readonly Lock s_listenerLock = new();
    private static TaskEventListener? s_listener;
    private static int s_activeRuns;

    public static void Enter(FlowTag tag) => s_flow.Value = tag;

    public static void Leave() => s_flow.Value = null;

    /// <summary>Starts watching task events for a run; pair with <see cref="EndRun"/>.</summary>
    public static void BeginRun()
    {
        lock (s_listenerLock)
        {
            s_activeRuns++;
            if (s_activeRuns == 1)
            {
                s_listener ??= new TaskEventListener();
                s_listener.Activate();
            }
        }
    }

    public static void EndRun()
    {
        lock (s_listenerLock)
        {
            s_activeRuns--;
            if (s_activeRuns == 0)
            {
                s_listener?.Deactivate();
            }
        }
    }

    public static string DescribeCurrentThread()
    {
        var thread = Thread.CurrentThread;
        var kind = thread.IsThreadPoolThread ? "a thread-pool thread" : "a thread";
        var name = thread.Name is { Length: > 0 } named ? $" '{named}'" : " with no name";
        return $"{kind}{name} (managed id {thread.ManagedThreadId})";
    }

    private static void OnFlowChanged(AsyncLocalValueChangedArgs<FlowTag?> change)
    {
        // An exception thrown here would end the process: only record the finding.
        if (!change.ThreadContextChanged || change.CurrentValue is not { } tag || tag.Execution.Finished)
        {
            return;
        }

        if (tag.Thread is null ? tag.Execution.IsDriverThread : Scheduler.CurrentThread == tag.Thread)
        {
            return;
        }

        var origin = tag.Thread is null ? "the scenario's setup" : $"logical thread '{tag.Thread.Name}'";
        tag.Execution.ReportUncontrolled(
            null,
            $"work started by {origin} runs on {DescribeCurrentThread()}, outside the engine's control: Task.Run, ThreadPool.QueueUserWorkItem, a Timer, new Thread, or an await continuation that ran inline on another thread (ConfigureAwait(false)); spawn a logical thread instead");
    }

    private sealed class TaskEventListener : EventListener
    {
        private const int TaskScheduledEventId = 7;
        private const string TplSourceName = "System.Threading.Tasks.TplEventSource";

        // TaskTransfer | Tasks: the keywords under which TaskScheduled is raised.
        private const EventKeywords TaskKeywords = (EventKeywords)0x3;

        private EventSource? _source;
        private bool _active;

        public void Activate()
        {
            _active = true;
            if (_source is not null)
            {
                EnableEvents(_source, EventLevel.Informational, TaskKeywords);
            }
        }

        public void Deactivate()
        {
            _active = false;
            if (_source is not null)
            {
                DisableEvents(_source);
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            // Called from the base constructor for sources that already exist, before this object's fields are set.
            if (eventSource.Name != TplSourceName)
            {
                return;
            }

            _source = eventSource;
            if (_active)
            {
                EnableEvents(eventSource, EventLevel.Informational, TaskKeywords);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventId != TaskScheduledEventId)
            {
                return;
            }

            var current = Scheduler.CurrentThread;
            if (current is null || current.Execution.InCheckMode || current.Execution.Finished)
            {
                return;
            }

            current.Execution.ReportUncontrolled(
                current,
                $"logical thread '{current.Name}' queued a task to a task scheduler (Task.Run, TaskFactory.StartNew or a ContinueWith continuation): it would run on the thread pool, outside the engine's control; spawn a logical thread, or await on the thread itself");
        }
    }
}
