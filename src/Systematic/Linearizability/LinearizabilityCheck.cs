namespace Veralloc.Systematic.Linearizability;

/// <summary>
/// One iteration's linearizability check, made by <see cref="SystematicContext.Linearizable"/>: the scenario performs
/// each operation on the object under test through <see cref="Call(TOperation, Func{TResult})"/>, which records it in <see cref="History"/> under
/// the calling logical thread's name; after every thread has ended, the calls given to <see cref="AfterThreads"/> run
/// and the whole history is checked against the model. A history no order explains fails the iteration with
/// <see cref="BugKind.NotLinearizable"/>.
/// </summary>
/// <typeparam name="TState">The model's state.</typeparam>
/// <typeparam name="TOperation">An operation with its arguments.</typeparam>
/// <typeparam name="TResult">What an operation returns.</typeparam>
/// <remarks>
/// The invocation is recorded just before the operation's code runs and the response just after it returns, both
/// while the calling thread holds the engine's baton, and recording is not a scheduling point: a response recorded
/// before another call's invocation means the first call really ended before the second began, and no interleaving is
/// added. Calls made during setup are recorded under <see cref="SetupThread"/>, those of <see cref="AfterThreads"/>
/// under <see cref="AfterThreadsThread"/>: they come before, respectively after, every call of the threads.
/// </remarks>
public sealed class LinearizabilityCheck<TState, TOperation, TResult>
{
    /// <summary>The name under which calls made during the scenario's setup are recorded.</summary>
    public const string SetupThread = "setup";

    /// <summary>The name under which calls made by <see cref="AfterThreads"/> actions are recorded.</summary>
    public const string AfterThreadsThread = "after";

    private readonly Execution _execution;
    private readonly long _accessKey;
    private readonly ISequentialModel<TState, TOperation, TResult> _model;
    private readonly List<Action> _afterThreads = [];
    private bool _afterThreadsRunning;

    internal LinearizabilityCheck(Execution execution, ISequentialModel<TState, TOperation, TResult> model, string name)
    {
        _execution = execution;
        _accessKey = execution.NewAccessKey();
        _model = model;
        Name = name;
    }

    /// <summary>The check's name in reports.</summary>
    public string Name { get; }

    /// <summary>The calls recorded so far in this iteration.</summary>
    public History<TOperation, TResult> History { get; } = new();

    /// <summary>
    /// Records <paramref name="operation"/>'s invocation by the calling logical thread, runs <paramref name="run"/>
    /// (the operation on the object under test), records what it returned and returns that. An exception from
    /// <paramref name="run"/> leaves the call pending and propagates (the thread then fails as usual); catch it inside
    /// <paramref name="run"/> and return it as a result when the model says which errors an operation reports.
    /// </summary>
    /// <param name="operation">The operation as the model reads it.</param>
    /// <param name="run">Performs it on the object under test.</param>
    /// <returns>What <paramref name="run"/> returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="run"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller already has a call in progress (calls of one thread never overlap).</exception>
    /// <exception cref="UncontrolledConcurrencyException">The caller is neither a logical thread, nor the setup, nor an <see cref="AfterThreads"/> action.</exception>
    public TResult Call(TOperation operation, Func<TResult> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var call = History.Invoke(Caller(), operation);
        Recorded();
        var result = run();
        History.Respond(call, result);
        Recorded();
        return result;
    }

    /// <summary>
    /// As <see cref="Call(TOperation, Func{TResult})"/>, except that an exception thrown by <paramref name="run"/> is a
    /// result, <paramref name="exceptionAsResult"/> of it, as a caller that catches everything would see it (Lincheck
    /// treats exceptions the same way): a crash of a corrupted object then shows in the history instead of ending the
    /// thread. The engine's own exceptions (an iteration being cancelled, uncontrolled concurrency, a failed
    /// <see cref="Scheduler.Assert"/>) still propagate.
    /// </summary>
    /// <param name="operation">The operation as the model reads it.</param>
    /// <param name="run">Performs it on the object under test.</param>
    /// <param name="exceptionAsResult">The result a thrown exception stands for.</param>
    /// <returns>What <paramref name="run"/> returned, or what <paramref name="exceptionAsResult"/> made of its exception.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="run"/> or <paramref name="exceptionAsResult"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller already has a call in progress (calls of one thread never overlap).</exception>
    public TResult Call(TOperation operation, Func<TResult> run, Func<Exception, TResult> exceptionAsResult)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(exceptionAsResult);
        return Call(operation, () =>
        {
            try
            {
                return run();
            }
            catch (Exception exception) when (exception is not (ExecutionCanceledException or UncontrolledConcurrencyException or SystematicAssertionException))
            {
                return exceptionAsResult(exception);
            }
        });
    }

    /// <summary>
    /// Adds operations to run, one after another, once every logical thread has ended and before the history is
    /// checked (like the final sequential part of a Lincheck scenario): a read of the final state through the object's
    /// own queries, so that a wrong state left behind shows in results. Their calls go through <see cref="Call(TOperation, Func{TResult})"/>.
    /// </summary>
    /// <param name="operations">The final calls.</param>
    /// <exception cref="ArgumentNullException"><paramref name="operations"/> is null.</exception>
    public void AfterThreads(Action operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        _afterThreads.Add(operations);
    }

    /// <summary>Runs the final calls and checks the history; throws <see cref="NotLinearizableException"/> when no order explains it.</summary>
    internal void CheckAtQuiescence()
    {
        _afterThreadsRunning = true;
        try
        {
            foreach (var operations in _afterThreads)
            {
                operations();
            }
        }
        finally
        {
            _afterThreadsRunning = false;
        }

        var verdict = LinearizabilityChecker.Check(_model, History);
        if (!verdict.IsLinearizable)
        {
            throw new NotLinearizableException($"the history of '{Name}' is {verdict.Format()}");
        }
    }

    // Under partial-order reduction, steps that touch nothing in common are run in one order only; but which call ended
    // before which began decides the verdict. Each record is therefore a write of the history, so every record of
    // one thread's step is ordered with every record of another's, and both orders are explored.
    private void Recorded()
    {
        if (Scheduler.CurrentThread is { } thread)
        {
            _execution.Touch(thread, _accessKey, Dpor.AccessKind.Write);
        }
    }

    // Whose call it is: a logical thread by its name, else the phase; a thread the engine does not run has no place in the history.
    private string Caller() =>
        Scheduler.CurrentThreadName
        ?? (_execution.InSetup ? SetupThread : null)
        ?? (_afterThreadsRunning ? AfterThreadsThread : null)
        ?? throw _execution.ReportUncontrolled(null, $"linearizability check '{Name}' was called from {UncontrolledWork.DescribeCurrentThread()}, which the engine does not control: calls must come from the setup, a logical thread or an AfterThreads action");
}
