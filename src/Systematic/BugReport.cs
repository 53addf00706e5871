using System.Globalization;
using System.Text;
using Veralloc.Systematic.Minimization;

namespace Veralloc.Systematic;

/// <summary>What kind of bug ended an iteration.</summary>
public enum BugKind
{
    /// <summary>A logical thread called <see cref="Scheduler.Assert"/> with a false condition.</summary>
    AssertionFailure,

    /// <summary>A registered invariant threw or returned false at a scheduling point or at quiescence.</summary>
    InvariantViolation,

    /// <summary>A logical thread ended with an exception.</summary>
    UnhandledException,

    /// <summary>Some logical thread was still live but every live thread was blocked (on a lock or a join).</summary>
    Deadlock,

    /// <summary>The iteration took more scheduling points than <see cref="TestOptions.MaxSteps"/> (a possible livelock).</summary>
    StepBoundExceeded,

    /// <summary>A logical thread ran past <see cref="TestOptions.IterationTimeout"/> without a scheduling point.</summary>
    Hang,

    /// <summary>A replayed trace does not fit the program: it names a thread that is not enabled, runs out, or has decisions left over.</summary>
    ReplayDivergence,

    /// <summary>
    /// The program took different steps when run again under the same schedule (a DFS prefix, a replayed trace, or a
    /// <see cref="TestOptions.CheckDeterminism"/> rerun): something the engine does not control changed what it did.
    /// </summary>
    Nondeterminism,

    /// <summary>
    /// Concurrency the engine does not control: a controlled primitive used from a thread the engine does not own, work
    /// started with <c>Task.Run</c>, the thread pool, a timer or <c>new Thread</c> from a logical thread, an await resumed by
    /// such a thread, or a logical thread blocked in a wait the engine cannot see (a <c>lock</c>, <c>SemaphoreSlim</c>,
    /// <c>Task.Wait</c>, <c>Thread.Sleep</c>).
    /// </summary>
    UncontrolledConcurrency,

    /// <summary>Two accesses to a <see cref="Shared{T}"/>, at least one a write, with no happens-before order between them.</summary>
    DataRace,

    /// <summary>
    /// A liveness property failed: the iteration did not end within the step bound although its tail ran under a fair
    /// schedule (a livelock), or a <see cref="LivenessMonitor"/> stayed hot too long or was hot when the iteration ended.
    /// </summary>
    LivenessViolation,

    /// <summary>
    /// A history recorded by a <see cref="SystematicContext.Linearizable"/> check is not linearizable: no order of its
    /// calls that keeps their real-time order makes the sequential model return the recorded results. The message
    /// says why and draws the history per thread.
    /// </summary>
    NotLinearizable,
}

/// <summary>What one scheduling step did.</summary>
public enum StepKind
{
    /// <summary>The thread began to run.</summary>
    Start,

    /// <summary>The thread acquired a controlled lock.</summary>
    Acquire,

    /// <summary>The thread released a controlled lock.</summary>
    Release,

    /// <summary>The thread joined a finished thread.</summary>
    Join,

    /// <summary>The thread passed an explicit <see cref="Scheduler.Yield"/>.</summary>
    Yield,

    /// <summary>The thread's body returned.</summary>
    End,

    /// <summary>The thread's body threw.</summary>
    Fault,

    /// <summary>The thread took a semaphore permit, passed a set event, or woke from a condition wait.</summary>
    Wait,

    /// <summary>The thread released a semaphore, set an event, or pulsed a condition.</summary>
    Signal,

    /// <summary>The thread read a <see cref="Shared{T}"/>.</summary>
    Read,

    /// <summary>The thread wrote a <see cref="Shared{T}"/>.</summary>
    Write,

    /// <summary>The thread resumed after an <c>await</c>: it ran a continuation posted to it.</summary>
    Resume,

    /// <summary>The thread passed a controlled delay (<see cref="Scheduler.Delay"/>), or a controlled timer fired.</summary>
    Delay,

    /// <summary>The thread (or the setup) drew a controlled random value; the target shows the value and the range.</summary>
    Choice,
}

/// <summary>One step of a reported interleaving.</summary>
/// <param name="Index">The one-based position in the interleaving.</param>
/// <param name="ThreadId">The logical thread's id (creation order, from 0), or -1 for the scenario's setup.</param>
/// <param name="ThreadName">The logical thread's name.</param>
/// <param name="Operation">The operation the thread described with <see cref="Scheduler.Describe"/>, or null.</param>
/// <param name="Kind">What the step did.</param>
/// <param name="Target">The lock's name, or the joined thread's name, or null.</param>
public sealed record TraceStep(int Index, int ThreadId, string ThreadName, string? Operation, StepKind Kind, string? Target)
{
    /// <summary>Formats the step as one line, for example <c>  7. t1 writer [alloc k1] acquire pool</c>.</summary>
    public override string ToString()
    {
        var operation = Operation is null ? string.Empty : $" [{Operation}]";
        var target = Target is null ? string.Empty : " " + Target;
        var verb = Kind.ToString().ToLowerInvariant();
        var who = ThreadId < 0 ? ThreadName : $"t{ThreadId} {ThreadName}";
        return string.Create(CultureInfo.InvariantCulture, $"{Index,5}. {who}{operation} {verb}{target}");
    }
}

/// <summary>A bug found by a run: what happened, where, and the trace that replays it.</summary>
public sealed class BugReport
{
    internal BugReport(BugKind kind, string message, string? threadName, Exception? exception, ScheduleTrace trace, IReadOnlyList<TraceStep> steps, IReadOnlyList<TraceStep>? expectedSteps = null)
    {
        Kind = kind;
        Message = message;
        ThreadName = threadName;
        Exception = exception;
        Trace = trace;
        Steps = steps;
        ExpectedSteps = expectedSteps;
    }

    /// <summary>The kind of bug.</summary>
    public BugKind Kind { get; }

    /// <summary>A sentence saying what went wrong, with the threads and locks involved.</summary>
    public string Message { get; }

    /// <summary>The logical thread that failed, or null for deadlocks and quiescence checks.</summary>
    public string? ThreadName { get; }

    /// <summary>The exception behind the bug, if any.</summary>
    public Exception? Exception { get; }

    /// <summary>The scheduling decisions that replay the failing interleaving.</summary>
    public ScheduleTrace Trace { get; }

    /// <summary>The failing interleaving as readable steps, oldest first.</summary>
    public IReadOnlyList<TraceStep> Steps { get; }

    /// <summary>
    /// For <see cref="BugKind.Nondeterminism"/> found by DFS or by <see cref="TestOptions.CheckDeterminism"/>: the steps of the
    /// earlier run under the same schedule, to compare with <see cref="Steps"/>; null otherwise.
    /// </summary>
    public IReadOnlyList<TraceStep>? ExpectedSteps { get; }

    /// <summary>Where the trace was saved, or null when it was not.</summary>
    public string? TracePath { get; internal set; }

    /// <summary>
    /// When this witness went through <see cref="WitnessMinimizer"/> (or came out of it): the original, the minimised one,
    /// their sizes and what was proved; null otherwise.
    /// </summary>
    public MinimizationResult? Minimization { get; internal set; }

    /// <summary>Why the trace could not be saved under <see cref="TestOptions.TraceDirectory"/>, or null.</summary>
    public string? TraceSaveError { get; internal set; }

    /// <summary>Formats the bug, the interleaving (its last <paramref name="maxSteps"/> steps) and the trace text.</summary>
    /// <param name="maxSteps">The most steps to print; older steps are elided.</param>
    /// <returns>A multi-line report.</returns>
    public string Format(int maxSteps = 200)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSteps);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Bug found: {Kind}: {Message}\n");
        if (Exception is not null && Kind is BugKind.UnhandledException or BugKind.InvariantViolation or BugKind.AssertionFailure)
        {
            text.Append(CultureInfo.InvariantCulture, $"  exception: {Exception.GetType().FullName}: {Exception.Message}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"  strategy {StrategyNames.ToName(Trace.Strategy)}, seed {Trace.Seed}, iteration {Trace.Iteration}");
        if (Trace.Scenario is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $", scenario {Trace.Scenario}");
        }

        text.Append('\n');
        if (TracePath is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"  trace saved to {TracePath}\n");
        }

        if (TraceSaveError is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"  trace not saved: {TraceSaveError}\n");
        }

        if (Minimization is { } minimization)
        {
            text.Append("  minimised witness: ").Append(minimization.Summary()).Append('\n');
            if (minimization.Original.TracePath is { } originalPath && minimization.Original != this)
            {
                text.Append(CultureInfo.InvariantCulture, $"  original trace saved to {originalPath}\n");
            }
        }

        if (ExpectedSteps is not null)
        {
            AppendSteps(text, "The earlier run under the same schedule", ExpectedSteps, maxSteps);
            AppendSteps(text, "This run", Steps, maxSteps);
        }
        else
        {
            AppendSteps(text, "Interleaving", Steps, maxSteps);
        }

        text.Append("Trace:\n").Append(Trace.ToText(includePoints: false));
        return text.ToString();
    }

    private static void AppendSteps(StringBuilder text, string title, IReadOnlyList<TraceStep> steps, int maxSteps)
    {
        text.Append(CultureInfo.InvariantCulture, $"{title} ({steps.Count} steps):\n");
        var first = Math.Max(0, steps.Count - maxSteps);
        if (first > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  ... {first} earlier steps elided\n");
        }

        for (var i = first; i < steps.Count; i++)
        {
            text.Append(steps[i].ToString()).Append('\n');
        }
    }

    /// <inheritdoc />
    public override string ToString() => Format();
}

/// <summary>Thrown by <see cref="TestResult.ThrowIfBugFound"/>; its message is the full bug report.</summary>
public sealed class BugFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="report"/>.</summary>
    /// <param name="report">The bug.</param>
    public BugFoundException(BugReport report)
        : base(report?.Format(), report?.Exception)
    {
        ArgumentNullException.ThrowIfNull(report);
        Report = report;
    }

    /// <summary>The bug.</summary>
    public BugReport Report { get; }
}

/// <summary>
/// Thrown into code that uses a controlled primitive from a thread the engine does not own (a <c>Task.Run</c> or thread-pool
/// thread, a timer callback, a <c>new Thread</c>); the iteration is reported as <see cref="BugKind.UncontrolledConcurrency"/>.
/// </summary>
public sealed class UncontrolledConcurrencyException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was used, from which thread, and what to use instead.</param>
    public UncontrolledConcurrencyException(string message)
        : base(message)
    {
    }
}

/// <summary>Thrown by <see cref="Scheduler.Assert"/> when its condition is false.</summary>
public sealed class SystematicAssertionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What should have held.</param>
    public SystematicAssertionException(string message)
        : base(message)
    {
    }
}
