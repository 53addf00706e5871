using System.Diagnostics;
using System.Globalization;
using System.Text;
using Veralloc.Systematic.Strategies;

namespace Veralloc.Systematic;

/// <summary>
/// One iteration: the logical threads, the locks, and the baton that passes between them.
/// </summary>
/// <remarks>
/// <para>
/// Exactly one party runs at a time: the driver (the test thread) while it sets up, checks quiescence or unwinds,
/// else the one logical thread holding the baton. A logical thread at a scheduling point checks the invariants,
/// asks the strategy for the next thread, releases that thread's gate and waits on its own. Every field here is
/// therefore touched by one real thread at a time, and the semaphore hand-offs order those touches.
/// </para>
/// <para>
/// Each pending operation is executed atomically when its thread is chosen, and a thread is enabled only when its
/// pending operation can complete (an acquire of a free lock, a join of a finished thread), so blocking never
/// costs a wasted step and a state with live threads but none enabled is exactly a deadlock.
/// </para>
/// <para>
/// When a bug is found the iteration aborts: the thread that found it unwinds (controlled operations throw
/// <see cref="ExecutionCanceledException"/>), then wakes the driver, which unwinds the others one at a time.
/// </para>
/// </remarks>
internal sealed class Execution
{
    private const int Complete = -2;
    private const int Failed = -1;

    private readonly ISchedulingStrategy _strategy;
    private readonly WorkerPool _pool;
    private readonly SemaphoreSlim _driverGate;
    private readonly List<LogicalThread> _threads = [];
    private readonly List<int> _enabled = [];
    private readonly List<Check> _invariants = [];
    private readonly List<Check> _quiescenceChecks = [];
    private readonly List<int> _decisions;
    private readonly List<StepRecord> _steps;
    private readonly int _maxSteps;
    private readonly bool _checkEveryPoint;
    private readonly TimeSpan _iterationTimeout;
    private volatile bool _aborting;
    private bool _started;
    private bool _finished;

    public Execution(ISchedulingStrategy strategy, WorkerPool pool, SemaphoreSlim driverGate, TestOptions options, List<int> decisions, List<StepRecord> steps)
    {
        _strategy = strategy;
        _pool = pool;
        _driverGate = driverGate;
        _maxSteps = options.MaxSteps;
        _checkEveryPoint = options.CheckInvariantsAtEveryPoint;
        _iterationTimeout = options.IterationTimeout;
        _decisions = decisions;
        _steps = steps;
        decisions.Clear();
        steps.Clear();
    }

    public bool Aborting => _aborting;

    public bool InCheckMode { get; private set; }

    public FoundBug? Bug { get; private set; }

    /// <summary>True when a logical thread never came back: its worker is lost and the pool must not be trusted.</summary>
    public bool Hung { get; private set; }

    public int SchedulingPoints { get; private set; }

    public IReadOnlyList<LogicalThread> Threads => _threads;

    public IReadOnlyList<StepRecord> StepLog => _steps;

    public IReadOnlyList<int> DecisionLog => _decisions;

    public ControlledLock CreateLock(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ControlledLock(this, name);
    }

    public LogicalThread Spawn(string name, Action body)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(body);
        var current = Scheduler.CurrentThread;
        var fromSetup = !_started && current is null;
        var fromThread = _started && !_finished && current is not null && current.Execution == this && !InCheckMode;
        if (!fromSetup && !fromThread)
        {
            throw new InvalidOperationException($"Thread '{name}' must be spawned during scenario setup or by a running logical thread of the same iteration.");
        }

        if (_aborting)
        {
            throw new ExecutionCanceledException();
        }

        var worker = _pool.Rent();
        var thread = new LogicalThread(this, _threads.Count, name, body, worker);
        worker.Assign(thread);
        _threads.Add(thread);
        return thread;
    }

    public void AddInvariant(string name, Action check, ControlledLock? onlyWhenFree) =>
        AddCheck(_invariants, name, check, null, onlyWhenFree);

    public void AddInvariant(string name, Func<bool> holds, ControlledLock? onlyWhenFree) =>
        AddCheck(_invariants, name, null, holds, onlyWhenFree);

    public void AddQuiescenceCheck(string name, Action? check, Func<bool>? holds) =>
        AddCheck(_quiescenceChecks, name, check, holds, null);

    /// <summary>Runs the iteration on the driver thread; returns when it has ended, normally or with a bug.</summary>
    public void Run()
    {
        Debug.Assert(!_started, "An execution runs once.");
        _started = true;
        if (_checkEveryPoint)
        {
            CheckInvariants();
        }

        var first = _aborting ? Failed : Decide(current: null);
        if (first >= 0)
        {
            _threads[first].Worker.Gate.Release();
            if (!_driverGate.Wait(_iterationTimeout))
            {
                Hung = true;
                ReportBug(BugKind.Hang, null, string.Create(CultureInfo.InvariantCulture, $"no scheduling point was reached for {_iterationTimeout.TotalSeconds:F0} s: a logical thread blocks on an uncontrolled primitive or loops without a scheduling point ({DescribeLiveThreads()})"), null);
                _finished = true;
                return;
            }
        }

        if (_aborting)
        {
            Unwind();
        }
        else
        {
            CheckAtQuiescence();
        }

        _finished = true;
    }

    /// <summary>The body of a logical thread, on its worker.</summary>
    public void RunLogicalThread(LogicalThread thread)
    {
        Scheduler.CurrentThread = thread;
        try
        {
            if (!_aborting)
            {
                thread.State = ThreadState.Running;
                thread.Pending = PendingKind.None;
                Log(thread, StepKind.Start, null);
                thread.Body();
            }
        }
        catch (ExecutionCanceledException)
        {
            // The iteration already has its bug; this thread is unwinding.
        }
        catch (Exception exception)
        {
            if (!_aborting)
            {
                Log(thread, StepKind.Fault, exception.GetType().Name);
                var kind = exception is SystematicAssertionException ? BugKind.AssertionFailure : BugKind.UnhandledException;
                var what = kind == BugKind.AssertionFailure ? "assertion failed" : $"unhandled {exception.GetType().Name}";
                ReportBug(kind, thread, $"{what} in thread '{thread.Name}': {exception.Message}", exception);
            }
        }
        finally
        {
            Scheduler.CurrentThread = null;
        }

        ThreadEnded(thread);
    }

    /// <summary>A scheduling point reached by <paramref name="current"/>, which holds the baton.</summary>
    public void SchedulingPoint(LogicalThread current, PendingKind kind, ControlledLock? lockObject, LogicalThread? joinTarget)
    {
        Debug.Assert(current.State == ThreadState.Running, "Only the running thread reaches a scheduling point.");
        if (_aborting)
        {
            throw new ExecutionCanceledException();
        }

        current.Pending = kind;
        current.PendingLock = lockObject;
        current.PendingJoin = joinTarget;
        current.State = ThreadState.Waiting;
        if (_checkEveryPoint && _invariants.Count > 0)
        {
            CheckInvariants();
            if (_aborting)
            {
                throw new ExecutionCanceledException();
            }
        }

        var next = Decide(current);
        if (next < 0)
        {
            Debug.Assert(next == Failed, "An iteration with a live thread cannot be complete.");
            throw new ExecutionCanceledException();
        }

        if (next != current.Id)
        {
            _threads[next].Worker.Gate.Release();
            current.Worker.Gate.Wait();
            if (_aborting)
            {
                throw new ExecutionCanceledException();
            }
        }

        current.State = ThreadState.Running;
        switch (kind)
        {
            case PendingKind.Acquire:
                Debug.Assert(lockObject is { Owner: null }, "An acquire is chosen only while its lock is free.");
                lockObject!.Owner = current;
                Log(current, StepKind.Acquire, lockObject.Name);
                break;
            case PendingKind.AfterRelease:
                // The release was logged when it happened; going on after it is not a step of its own.
                break;
            case PendingKind.Join:
                Debug.Assert(joinTarget is { State: ThreadState.Done }, "A join is chosen only once its target is done.");
                Log(current, StepKind.Join, joinTarget!.Name);
                break;
            default:
                Log(current, StepKind.Yield, null);
                break;
        }

        current.Pending = PendingKind.None;
        current.PendingLock = null;
        current.PendingJoin = null;
    }

    /// <summary>Called by <see cref="ControlledLock.Exit"/> after it freed the lock.</summary>
    public void Released(LogicalThread current, ControlledLock lockObject)
    {
        Log(current, StepKind.Release, lockObject.Name);
        SchedulingPoint(current, PendingKind.AfterRelease, null, null);
    }

    private void ThreadEnded(LogicalThread thread)
    {
        thread.State = ThreadState.Done;
        thread.Pending = PendingKind.None;
        _pool.Return(thread.Worker);
        if (_aborting)
        {
            _driverGate.Release();
            return;
        }

        Log(thread, StepKind.End, null);
        if (_checkEveryPoint && _invariants.Count > 0)
        {
            CheckInvariants();
        }

        var next = _aborting ? Failed : Decide(current: null);
        if (next >= 0)
        {
            _threads[next].Worker.Gate.Release();
        }
        else
        {
            _driverGate.Release();
        }
    }

    private int Decide(LogicalThread? current)
    {
        SchedulingPoints++;
        if (SchedulingPoints > _maxSteps)
        {
            ReportBug(BugKind.StepBoundExceeded, null, string.Create(CultureInfo.InvariantCulture, $"the iteration passed {_maxSteps} scheduling points without ending (possible livelock); live threads: {DescribeLiveThreads()}"), null);
            return Failed;
        }

        _enabled.Clear();
        var anyLive = false;
        foreach (var thread in _threads)
        {
            if (thread.State == ThreadState.Done)
            {
                continue;
            }

            anyLive = true;
            if (IsEnabled(thread))
            {
                _enabled.Add(thread.Id);
            }
        }

        if (!anyLive)
        {
            return Complete;
        }

        if (_enabled.Count == 0)
        {
            ReportBug(BugKind.Deadlock, null, $"every live thread is blocked: {DescribeLiveThreads()}", null);
            return Failed;
        }

        if (_enabled.Count == 1)
        {
            return _enabled[0];
        }

        var currentId = current is not null && IsEnabled(current) ? current.Id : -1;
        var choice = _strategy.Choose(_enabled, currentId, SchedulingPoints);
        if (choice < 0 || !_enabled.Contains(choice))
        {
            ReportBug(BugKind.ReplayDivergence, null, _strategy.DivergenceReason ?? $"the strategy chose thread {choice}, which is not enabled", null);
            return Failed;
        }

        _decisions.Add(choice);
        return choice;
    }

    private static bool IsEnabled(LogicalThread thread) => thread.Pending switch
    {
        PendingKind.Acquire => thread.PendingLock!.Owner is null,
        PendingKind.Join => thread.PendingJoin!.State == ThreadState.Done,
        _ => thread.State != ThreadState.Done,
    };

    private void CheckInvariants()
    {
        InCheckMode = true;
        try
        {
            foreach (var check in _invariants)
            {
                if (check.OnlyWhenFree is { IsHeld: true })
                {
                    continue;
                }

                if (!RunCheck(check, "invariant"))
                {
                    return;
                }
            }
        }
        finally
        {
            InCheckMode = false;
        }
    }

    private void CheckAtQuiescence()
    {
        InCheckMode = true;
        try
        {
            foreach (var check in _invariants)
            {
                if (!RunCheck(check, "invariant at quiescence"))
                {
                    return;
                }
            }

            foreach (var check in _quiescenceChecks)
            {
                if (!RunCheck(check, "check at quiescence"))
                {
                    return;
                }
            }
        }
        finally
        {
            InCheckMode = false;
        }
    }

    private bool RunCheck(Check check, string what)
    {
        var current = Scheduler.CurrentThread;
        try
        {
            check.Action?.Invoke();
            if (check.Predicate is not null && !check.Predicate())
            {
                ReportBug(BugKind.InvariantViolation, current, $"{what} '{check.Name}' does not hold{Where(current)}", null);
                return false;
            }
        }
        catch (Exception exception) when (exception is not ExecutionCanceledException)
        {
            ReportBug(BugKind.InvariantViolation, current, $"{what} '{check.Name}' failed{Where(current)}: {exception.Message}", exception);
            return false;
        }

        return true;
    }

    private static string Where(LogicalThread? current) =>
        current is null ? string.Empty : $" after a step of thread '{current.Name}'";

    private void Unwind()
    {
        foreach (var thread in _threads)
        {
            if (thread.State == ThreadState.Done)
            {
                continue;
            }

            thread.Worker.Gate.Release();
            if (!_driverGate.Wait(_iterationTimeout))
            {
                Hung = true;
                return;
            }
        }
    }

    private void ReportBug(BugKind kind, LogicalThread? thread, string message, Exception? exception)
    {
        if (Bug is not null)
        {
            return;
        }

        Bug = new FoundBug(kind, thread?.Name, message, exception);
        _aborting = true;
    }

    private void Log(LogicalThread thread, StepKind kind, string? target) =>
        _steps.Add(new StepRecord(thread.Id, kind, target, thread.Operation));

    private string DescribeLiveThreads()
    {
        var text = new StringBuilder();
        foreach (var thread in _threads)
        {
            if (thread.State == ThreadState.Done)
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append("; ");
            }

            text.Append(CultureInfo.InvariantCulture, $"t{thread.Id} '{thread.Name}'");
            if (thread.Operation is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $" [{thread.Operation}]");
            }

            switch (thread.Pending)
            {
                case PendingKind.Acquire:
                    var owner = thread.PendingLock!.Owner;
                    var held = owner is null ? "free" : $"held by t{owner.Id} '{owner.Name}'{(owner.State == ThreadState.Done ? " (finished)" : string.Empty)}";
                    text.Append(CultureInfo.InvariantCulture, $" waits to acquire '{thread.PendingLock.Name}' ({held})");
                    break;
                case PendingKind.Join:
                    text.Append(CultureInfo.InvariantCulture, $" waits to join '{thread.PendingJoin!.Name}'");
                    break;
                case PendingKind.Start:
                    text.Append(" not started");
                    break;
                case PendingKind.None:
                    text.Append(" running");
                    break;
                default:
                    text.Append(CultureInfo.InvariantCulture, $" at {thread.Pending.ToString().ToLowerInvariant()}{(thread.PendingLock is null ? string.Empty : " of '" + thread.PendingLock.Name + "'")}");
                    break;
            }
        }

        return text.Length == 0 ? "none" : text.ToString();
    }

    private void AddCheck(List<Check> checks, string name, Action? check, Func<bool>? holds, ControlledLock? onlyWhenFree)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (check is null && holds is null)
        {
            throw new ArgumentNullException(nameof(check), "A check needs an action or a predicate.");
        }

        if (_started)
        {
            throw new InvalidOperationException($"Check '{name}' must be registered during scenario setup.");
        }

        if (onlyWhenFree is not null && onlyWhenFree.Execution != this)
        {
            throw new ArgumentException($"Lock '{onlyWhenFree.Name}' belongs to another iteration.", nameof(onlyWhenFree));
        }

        checks.Add(new Check(name, check, holds, onlyWhenFree));
    }

    private sealed record Check(string Name, Action? Action, Func<bool>? Predicate, ControlledLock? OnlyWhenFree);
}

/// <summary>A bug as the execution saw it, before the runner attaches the trace.</summary>
internal sealed record FoundBug(BugKind Kind, string? ThreadName, string Message, Exception? Exception);

/// <summary>One executed step, recorded cheaply; names are resolved only when a bug is reported.</summary>
internal readonly record struct StepRecord(int ThreadId, StepKind Kind, string? Target, string? Operation);
