using System.Diagnostics;
using System.Globalization;
using System.Text;
using Veralloc.Systematic.Dpor;
using Veralloc.Systematic.Strategies;

namespace Veralloc.Systematic;

/// <summary>
/// One iteration: the logical threads, the controlled objects, and the baton that passes between them.
/// </summary>
/// <remarks>
/// <para>
/// Exactly one party runs at a time: the driver (the test thread) while it sets up, checks quiescence or unwinds,
/// else the one logical thread holding the baton. A logical thread at a scheduling point checks the invariants,
/// asks the strategy for the next thread, unparks that thread's worker and parks its own. Every field here is
/// therefore touched by one real thread at a time, and the hand-offs order those touches. The exceptions are the
/// findings of uncontrolled concurrency, which a foreign thread may report at any time: they go through
/// <see cref="ReportBug"/>'s lock, and everything else a foreign thread might reach refuses it first.
/// </para>
/// <para>
/// Each pending operation is executed atomically when its thread is chosen, and a thread is enabled only when its
/// pending operation can complete (an acquire of a free lock, a join of a finished thread, a take of an available
/// permit...), so blocking never costs a wasted step and a state with live threads but none enabled is exactly a
/// deadlock.
/// </para>
/// <para>
/// Every point is recorded in a <see cref="PointLog"/> (forced ones included) and, when the strategy replays a prefix
/// or a trace, compared with the earlier log: a difference is <see cref="BugKind.Nondeterminism"/>, never explored on.
/// After <see cref="TestOptions.FairAfterSteps"/> points the schedule turns fair (round robin among the enabled
/// threads), so correct spin and poll loops end; an iteration that still does not end, or a liveness monitor that
/// stays hot, is a <see cref="BugKind.LivenessViolation"/>.
/// </para>
/// <para>
/// When a bug is found the iteration aborts: the thread that found it unwinds (controlled operations throw
/// <see cref="ExecutionCanceledException"/>), then wakes the driver, which unwinds the others one at a time. While it
/// waits the driver watches the running thread: blocked in a wait the engine does not control is reported quickly as
/// <see cref="BugKind.UncontrolledConcurrency"/>, no progress at all as <see cref="BugKind.Hang"/>.
/// </para>
/// </remarks>
internal sealed class Execution
{
    private const int Complete = -2;
    private const int Failed = -1;
    private static readonly TimeSpan s_watchInterval = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan s_abortGrace = TimeSpan.FromSeconds(2);

    private readonly ISchedulingStrategy _strategy;
    private readonly DporStrategy? _reduction;
    private readonly EventLog? _events;
    private readonly WorkerPool _pool;
    private readonly SemaphoreSlim _driverGate;
    private readonly List<LogicalThread> _threads = [];
    private readonly List<int> _enabled = [];
    private readonly List<Check> _invariants = [];
    private readonly List<Check> _quiescenceChecks = [];
    private readonly List<GuardedState> _guardedStates = [];
    private readonly List<LivenessMonitor> _monitors = [];
    private readonly List<int> _decisions;
    private readonly List<StepRecord> _steps;
    private readonly PointLog _points;
    private readonly PointLog? _expected;
    private readonly int _compareCount;
    private readonly bool _strategyDecidesFairPhase;
    private readonly int _maxSteps;
    private readonly int? _fairAfter;
    private readonly int _livenessThreshold;
    private readonly bool _checkEveryPoint;
    private readonly TimeSpan _iterationTimeout;
    private readonly TimeSpan _blockedThreshold;
    private readonly int _driverThreadId;
    private readonly Lock _bugLock = new();
    private volatile bool _aborting;
    private volatile bool _started;
    private volatile bool _finished;
    private volatile LogicalThread? _running;
    private volatile int _schedulingPoints;
    private int _lastChosen = -1;
    private int _setupObjects;

    /// <summary>The managed id of the thread running a check (invariant or quiescence), else 0.</summary>
    private volatile int _checkThreadId;

    public Execution(ISchedulingStrategy strategy, WorkerPool pool, SemaphoreSlim driverGate, TestOptions options, IterationBuffers buffers, PointLog? expected, int compareCount, EventLog? events = null)
    {
        _strategy = strategy;
        _reduction = strategy as DporStrategy;
        _events = events;
        _events?.Clear();
        _pool = pool;
        _driverGate = driverGate;
        _maxSteps = options.MaxSteps;
        _fairAfter = options.FairAfterSteps is { } fair && fair < options.MaxSteps ? fair : null;
        _livenessThreshold = options.LivenessTemperatureThreshold;
        _checkEveryPoint = options.CheckInvariantsAtEveryPoint;
        _iterationTimeout = options.IterationTimeout;
        _blockedThreshold = options.UncontrolledWaitTimeout;
        _strategyDecidesFairPhase = strategy is ReplayStrategy;
        _decisions = buffers.Decisions;
        _steps = buffers.Steps;
        _points = buffers.Points;
        _expected = expected;
        _compareCount = expected is null ? 0 : compareCount;
        _driverThreadId = Environment.CurrentManagedThreadId;
        SetupFlow = new FlowTag(this, null);
        SetupClock = new VectorClock();
        buffers.Clear();
    }

    public bool Aborting => _aborting;

    public bool Finished => _finished;

    public bool InCheckMode => _checkThreadId != 0;

    public FoundBug? Bug { get; private set; }

    /// <summary>True when partial-order reduction stopped the iteration early: every enabled thread was asleep.</summary>
    public bool Pruned { get; private set; }

    /// <summary>True when a logical thread never came back: its worker is lost and the pool must not be trusted.</summary>
    public bool Hung { get; private set; }

    public int SchedulingPoints => _schedulingPoints;

    /// <summary>True when the iteration reached the fair phase.</summary>
    public bool WentFair { get; private set; }

    public IReadOnlyList<LogicalThread> Threads => _threads;

    public IReadOnlyList<StepRecord> StepLog => _steps;

    public IReadOnlyList<int> DecisionLog => _decisions;

    public PointLog Points => _points;

    /// <summary>The execution-context tag of the setup, on the driver thread.</summary>
    public FlowTag SetupFlow { get; }

    /// <summary>What the setup did, which happens before every thread it spawns.</summary>
    public VectorClock SetupClock { get; }

    public bool IsDriverThread => Environment.CurrentManagedThreadId == _driverThreadId;

    /// <summary>True on the thread running a check right now: controlled primitives pass through there.</summary>
    public bool IsCheckThread => _checkThreadId == Environment.CurrentManagedThreadId;

    /// <summary>True while the setup runs on the driver, before the first thread starts.</summary>
    public bool InSetup => !_started && IsDriverThread;

    public LogicalThread Spawn(string name, Action? body, Func<Task>? asyncBody)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (body is null && asyncBody is null)
        {
            throw new ArgumentNullException(nameof(body));
        }

        var current = Scheduler.CurrentThread;
        var fromSetup = InSetup && current is null;
        var fromThread = _started && !_finished && current is not null && current.Execution == this && !InCheckMode;
        if (!fromSetup && !fromThread)
        {
            if (_started && !_finished && current is null && !IsDriverThread)
            {
                throw ReportUncontrolled(null, $"thread '{name}' was spawned from {UncontrolledWork.DescribeCurrentThread()}, which the engine does not control");
            }

            throw new InvalidOperationException($"Thread '{name}' must be spawned during scenario setup or by a running logical thread of the same iteration.");
        }

        if (_aborting)
        {
            throw new ExecutionCanceledException();
        }

        var worker = _pool.Rent();
        var clock = (current?.Clock ?? SetupClock).Copy();
        var thread = new LogicalThread(this, _threads.Count, name, body, asyncBody, worker, clock);
        clock.Tick(thread.Id);
        current?.Clock.Tick(current.Id);
        if (current is not null)
        {
            Touch(current, AccessKeys.SpawnRegistry, AccessKind.Write);
            Touch(current, AccessKeys.Thread(thread.Id), AccessKind.Causal);
        }

        worker.Assign(thread);
        _threads.Add(thread);
        return thread;
    }

    public void AddInvariant(string name, Action? check, Func<bool>? holds, IControlledObject? onlyWhenFree) =>
        AddCheck(_invariants, name, check, holds, onlyWhenFree);

    public void AddQuiescenceCheck(string name, Action? check, Func<bool>? holds) =>
        AddCheck(_quiescenceChecks, name, check, holds, null);

    public LivenessMonitor CreateMonitor(string name)
    {
        RequireSetup($"Liveness monitor '{name}'");
        var monitor = new LivenessMonitor(this, name);
        _monitors.Add(monitor);
        return monitor;
    }

    /// <summary>
    /// For a primitive's state-changing call that <see cref="CallerOf"/> let pass outside the logical threads: allowed
    /// during setup, refused in a check (a check may read a controlled object but not change it).
    /// </summary>
    public void RequireSetupToChange(string primitive, string name, string operation)
    {
        if (!InSetup)
        {
            throw new InvalidOperationException($"{operation} of {primitive} '{name}' from a check: checks may read the {primitive} but not change it.");
        }
    }

    /// <summary>Throws unless the setup is running on the driver.</summary>
    public void RequireSetup(string what)
    {
        if (_started || !IsDriverThread)
        {
            throw new InvalidOperationException($"{what} must be created during scenario setup.");
        }
    }

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
            _running = _threads[first];
            _threads[first].Worker.Unpark();
            if (!WaitForDriverTurn())
            {
                _finished = true;
                return;
            }
        }

        if (!_aborting && _expected is not null && _points.Count < _compareCount)
        {
            ReportNondeterminism(_points.Count);
        }

        if (_aborting)
        {
            Unwind();
        }
        else
        {
            CheckAtQuiescence();
        }

        if (!Hung)
        {
            // Threads that ended while unwinding may have signalled more than the driver waited for.
            while (_driverGate.Wait(0))
            {
            }
        }

        _finished = true;
    }

    /// <summary>The body of a logical thread, on its worker.</summary>
    public void RunLogicalThread(LogicalThread thread)
    {
        Scheduler.CurrentThread = thread;
        var previousContext = System.Threading.SynchronizationContext.Current;
        System.Threading.SynchronizationContext.SetSynchronizationContext(thread.SynchronizationContext);
        UncontrolledWork.Enter(thread.FlowTag);
        try
        {
            if (!_aborting)
            {
                thread.State = ThreadState.Running;
                thread.Pending = PendingKind.None;
                thread.PendingTarget = null;
                Log(thread, StepKind.Start, null);
                Touch(thread, AccessKeys.Thread(thread.Id), AccessKind.Causal);
                if (thread.AsyncBody is { } asyncBody)
                {
                    thread.BodyTask = asyncBody() ?? throw new InvalidOperationException($"The asynchronous body of thread '{thread.Name}' returned a null task.");
                }
                else
                {
                    thread.Body!();
                }

                RunContinuations(thread);
                if (thread.BodyTask is { IsCompletedSuccessfully: false } failed)
                {
                    failed.GetAwaiter().GetResult();
                }

                thread.SignalCompletion();
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
                var kind = exception switch
                {
                    SystematicAssertionException => BugKind.AssertionFailure,
                    UncontrolledConcurrencyException => BugKind.UncontrolledConcurrency,
                    _ => BugKind.UnhandledException,
                };
                var what = kind switch
                {
                    BugKind.AssertionFailure => "assertion failed",
                    BugKind.UncontrolledConcurrency => "uncontrolled concurrency",
                    _ => $"unhandled {exception.GetType().Name}",
                };
                ReportBug(kind, thread, $"{what} in thread '{thread.Name}': {exception.Message}", exception);
            }
        }
        finally
        {
            UncontrolledWork.Leave();
            System.Threading.SynchronizationContext.SetSynchronizationContext(previousContext);
            Scheduler.CurrentThread = null;
        }

        ThreadEnded(thread);
    }

    /// <summary>
    /// A scheduling point reached by <paramref name="current"/>, which holds the baton: returns when the thread is chosen
    /// and its pending step can happen. The caller then performs the step.
    /// </summary>
    public void SchedulingPoint(LogicalThread current, PendingKind kind, IControlledObject? target)
    {
        Debug.Assert(current.State == ThreadState.Running, "Only the running thread reaches a scheduling point.");
        if (_aborting)
        {
            throw new ExecutionCanceledException();
        }

        current.Pending = kind;
        current.PendingTarget = target;
        current.State = ThreadState.Waiting;
        if (_checkEveryPoint && (_invariants.Count > 0 || _guardedStates.Count > 0))
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
            _running = _threads[next];
            _threads[next].Worker.Unpark();
            current.Worker.Park();
            if (_aborting)
            {
                throw new ExecutionCanceledException();
            }
        }

        current.State = ThreadState.Running;
        current.Pending = PendingKind.None;
        current.PendingTarget = null;
    }

    /// <summary>Draws a controlled random value in <c>[0, range)</c>, recorded in the trace.</summary>
    public int ChooseValue(int range)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(range, 1);
        var current = Scheduler.CurrentThread;
        var fromThread = current is not null && current.Execution == this && !InCheckMode;
        if (!fromThread && !InSetup)
        {
            throw new InvalidOperationException("A controlled random value can be drawn only by the scenario's setup or a logical thread of the running iteration, not by a check.");
        }

        if (_aborting)
        {
            throw new ExecutionCanceledException();
        }

        var index = _schedulingPoints++;
        var value = 0;
        if (range > 1)
        {
            value = _strategy.ChooseValue(range, index);
            if (value < 0 || value >= range)
            {
                ReportBug(BugKind.ReplayDivergence, current, _strategy.DivergenceReason ?? $"the strategy chose the value {value}, outside [0, {range})", null);
                throw new ExecutionCanceledException();
            }

            _decisions.Add(ChoiceEncoding.Value(value));
        }

        _events?.Touch(value, AccessKind.Value);

        _points.AddValuePoint(range, value);
        if (_expected is not null && index < _compareCount && !_points.SameOptions(index, _expected))
        {
            ReportNondeterminism(index);
            throw new ExecutionCanceledException();
        }

        Log(current, StepKind.Choice, string.Create(CultureInfo.InvariantCulture, $"{value} of {range}"));
        return value;
    }

    /// <summary>
    /// Records that the running step of <paramref name="thread"/> touched a controlled object, for partial-order
    /// reduction; free when no reduction or class counting is on.
    /// </summary>
    public void Touch(LogicalThread thread, long key, AccessKind kind)
    {
        if (_events is not null && thread.Execution == this && !_aborting)
        {
            _events.Touch(key, kind);
        }
    }

    /// <summary>
    /// A key for a controlled object being created: from its creator (the setup or a logical thread) and how many objects
    /// that creator made before, so the key does not depend on the interleaving.
    /// </summary>
    public long NewAccessKey()
    {
        var current = Scheduler.CurrentThread;
        if (current is not null && current.Execution == this && !InCheckMode)
        {
            return AccessKeys.Object(current.Id, current.CreatedObjects++);
        }

        return AccessKeys.Object(-1, _setupObjects++);
    }

    /// <summary>Records a step of <paramref name="thread"/> (null: the setup).</summary>
    public void Log(LogicalThread? thread, StepKind kind, string? target) =>
        _steps.Add(new StepRecord(thread?.Id ?? -1, kind, target, thread?.Operation));

    /// <summary>
    /// Reports concurrency the engine does not control, from any thread, and returns the exception to throw into the
    /// offending code (callers on a foreign thread throw it; callers that must not throw ignore it).
    /// </summary>
    public UncontrolledConcurrencyException ReportUncontrolled(LogicalThread? thread, string message)
    {
        if (!_finished)
        {
            ReportBug(BugKind.UncontrolledConcurrency, thread, message, null);
        }

        return new UncontrolledConcurrencyException(message);
    }

    public void ReportBug(BugKind kind, LogicalThread? thread, string message, Exception? exception)
    {
        lock (_bugLock)
        {
            if (Bug is not null)
            {
                return;
            }

            Bug = new FoundBug(kind, thread?.Name, message, exception);
            _aborting = true;
        }
    }

    /// <summary>
    /// Classifies the caller of a controlled primitive: the logical thread to schedule, or null when the call runs
    /// outside the threads (setup, a check, quiescence) and should pass through. A call from any other thread is
    /// reported and refused.
    /// </summary>
    public LogicalThread? CallerOf(string primitive, string name)
    {
        if (IsCheckThread)
        {
            return null;
        }

        var current = Scheduler.CurrentThread;
        if (current is not null && current.Execution == this)
        {
            if (_aborting)
            {
                throw new ExecutionCanceledException();
            }

            return current;
        }

        if (IsDriverThread && (!_started || _finished))
        {
            return null;
        }

        if (_finished)
        {
            throw new InvalidOperationException($"{primitive} '{name}' was used after its iteration ended.");
        }

        throw ReportUncontrolled(null, $"{primitive} '{name}' was used from {UncontrolledWork.DescribeCurrentThread()}, which the engine does not control (a Task.Run, thread-pool, timer or new Thread thread): only logical threads spawned with ctx.Spawn may use controlled primitives");
    }

    /// <summary>Joins into <paramref name="clock"/> the final clock of every thread that has ended (and of the one ending now).</summary>
    public void JoinEndedThreads(VectorClock clock)
    {
        foreach (var thread in _threads)
        {
            if (thread.State == ThreadState.Done || thread.SignallingCompletion)
            {
                clock.Join(thread.Clock);
            }
        }
    }

    /// <summary>The number of points so far: where a liveness monitor's hot period starts.</summary>
    public int CurrentPoint => _schedulingPoints;

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
        Touch(thread, AccessKeys.Thread(thread.Id), AccessKind.Causal);
        if (_checkEveryPoint && (_invariants.Count > 0 || _guardedStates.Count > 0))
        {
            CheckInvariants(thread);
        }

        var next = _aborting ? Failed : Decide(current: null);
        if (next >= 0)
        {
            _running = _threads[next];
            _threads[next].Worker.Unpark();
        }
        else
        {
            _running = null;
            _driverGate.Release();
        }
    }

    private void RunContinuations(LogicalThread thread)
    {
        while (!thread.AsyncWorkDone)
        {
            SchedulingPoint(thread, PendingKind.Await, null);
            var continuation = thread.Continuations.Dequeue();
            thread.Clock.Join(continuation.PosterClock);
            Touch(thread, AccessKeys.Global, AccessKind.Global);
            Log(thread, StepKind.Resume, null);
            continuation.Callback(continuation.State);
        }
    }

    private int Decide(LogicalThread? current)
    {
        var index = _schedulingPoints++;
        if (_schedulingPoints > _maxSteps)
        {
            ReportStepBound();
            return Failed;
        }

        _enabled.Clear();
        var anyLive = false;
        _points.BeginThreadPoint();
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
                _points.AddEntry(thread.Id, thread.Pending, thread.PendingTarget?.Name);
            }
        }

        _points.EndThreadPoint(-1);
        if (_expected is not null && index < _compareCount && !_points.SameOptions(index, _expected))
        {
            ReportNondeterminism(index);
            return Failed;
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

        if (_reduction is not null && _reduction.ShouldPrune(_enabled))
        {
            // Every enabled thread sleeps: each continuation from here is equivalent to one explored before.
            Pruned = true;
            _aborting = true;
            return Failed;
        }

        var fair = _fairAfter is { } fairAfter && index >= fairAfter;
        if (fair)
        {
            WentFair = true;
            if (!CheckTemperatures(index, _fairAfter!.Value))
            {
                return Failed;
            }
        }

        int choice;
        if (_enabled.Count == 1)
        {
            choice = _enabled[0];
        }
        else
        {
            var currentId = current is not null && IsEnabled(current) ? current.Id : -1;
            choice = fair && !_strategyDecidesFairPhase ? RoundRobin() : _strategy.ChooseThread(_enabled, currentId, index);
            if (choice < 0 || !_enabled.Contains(choice))
            {
                ReportBug(BugKind.ReplayDivergence, null, _strategy.DivergenceReason ?? $"the strategy chose thread {choice}, which is not enabled", null);
                return Failed;
            }

            _decisions.Add(choice);
        }

        _points.SetLastChoice(choice);
        _events?.BeginStep(index, choice);
        _lastChosen = choice;
        return choice;
    }

    /// <summary>The first enabled thread after the one chosen last, in id order: every enabled thread gets its turn.</summary>
    private int RoundRobin()
    {
        foreach (var id in _enabled)
        {
            if (id > _lastChosen)
            {
                return id;
            }
        }

        return _enabled[0];
    }

    private bool CheckTemperatures(int index, int fairAfter)
    {
        foreach (var monitor in _monitors)
        {
            if (!monitor.IsHot)
            {
                continue;
            }

            var hotFor = index - Math.Max(monitor.HotSince, fairAfter);
            if (hotFor > _livenessThreshold)
            {
                ReportBug(BugKind.LivenessViolation, null, string.Create(CultureInfo.InvariantCulture, $"liveness monitor '{monitor.Name}' stayed hot ({monitor.HotReason}) for {hotFor} scheduling points of a fair schedule (threshold {_livenessThreshold}): what it waits for never happens; live threads: {DescribeLiveThreads()}"), null);
                return false;
            }
        }

        return true;
    }

    private void ReportStepBound()
    {
        if (_fairAfter is { } fairAfter)
        {
            ReportBug(BugKind.LivenessViolation, null, string.Create(CultureInfo.InvariantCulture, $"livelock: the iteration passed {_maxSteps} scheduling points without ending, the last {_maxSteps - fairAfter} under a fair schedule (every enabled thread kept getting turns){DescribeHotMonitors()}; live threads: {DescribeLiveThreads()}"), null);
        }
        else
        {
            ReportBug(BugKind.StepBoundExceeded, null, string.Create(CultureInfo.InvariantCulture, $"the iteration passed {_maxSteps} scheduling points without ending (possible livelock; fair scheduling is off); live threads: {DescribeLiveThreads()}"), null);
        }
    }

    private string DescribeHotMonitors()
    {
        var hot = _monitors.Where(monitor => monitor.IsHot).Select(monitor => $"'{monitor.Name}' ({monitor.HotReason})").ToArray();
        return hot.Length == 0 ? string.Empty : "; hot monitors: " + string.Join(", ", hot);
    }

    private void ReportNondeterminism(int index)
    {
        var expected = _expected!;
        _points.SetThreadNames(_threads.Select(thread => thread.Name));
        var message = string.Create(
            CultureInfo.InvariantCulture,
            $"the program took different steps when run again under the same schedule: at scheduling point {index + 1} the earlier run offered {expected.Describe(index)} but this run offers {_points.Describe(index)}. Something the schedule does not control changed what the program did: a static or cached value kept between iterations, a clock, unseeded randomness, a thread or task the engine does not own, or an unprotected access to shared state");
        ReportBug(BugKind.Nondeterminism, null, message, null);
    }

    private static bool IsEnabled(LogicalThread thread) => thread.Pending switch
    {
        PendingKind.Acquire => ((ControlledLock)thread.PendingTarget!).Owner is null,
        PendingKind.Join => ((JoinTarget)thread.PendingTarget!).Thread.State == ThreadState.Done,
        PendingKind.SemaphoreWait => ((ControlledSemaphore)thread.PendingTarget!).CurrentCount > 0,
        PendingKind.EventWait => ((ControlledEvent)thread.PendingTarget!).IsSet,
        PendingKind.ConditionWait => thread.Notified,
        PendingKind.Await => thread.Continuations.Count > 0,
        PendingKind.Timer => ((ControlledTimer)thread.PendingTarget!).IsDue,
        _ => thread.State != ThreadState.Done,
    };

    /// <summary>
    /// Waits on the driver thread until the running logical threads hand control back. Returns false when they never
    /// will (<see cref="Hung"/>): the bug is then already reported.
    /// </summary>
    private bool WaitForDriverTurn()
    {
        var started = Stopwatch.GetTimestamp();
        var lastPoints = -1;
        var blockedSince = 0L;
        while (!_driverGate.Wait(s_watchInterval))
        {
            if (_aborting)
            {
                // A bug was reported (perhaps by a foreign thread) while a logical thread runs: give it time to reach a
                // scheduling point, where it unwinds.
                return WaitForRunningThreadAfterAbort();
            }

            var running = _running;
            var points = _schedulingPoints;
            var now = Stopwatch.GetTimestamp();
            if (running is not null && points == lastPoints && running.Worker.IsBlockedOutsideEngine)
            {
                blockedSince = blockedSince == 0 ? now : blockedSince;
                if (Stopwatch.GetElapsedTime(blockedSince, now) >= _blockedThreshold)
                {
                    ReportBug(BugKind.UncontrolledConcurrency, running, string.Create(CultureInfo.InvariantCulture, $"logical thread '{running.Name}'{(running.Operation is null ? string.Empty : $" [{running.Operation}]")} is blocked in a wait the engine does not control (a lock statement or Monitor, SemaphoreSlim, Task.Wait or .Result, Thread.Sleep, a WaitHandle): it has made no progress for {_blockedThreshold.TotalMilliseconds:F0} ms on worker {running.Worker.ThreadDescription}; use ControlledLock, ControlledSemaphore, ControlledEvent or await inside the thread; live threads: {DescribeLiveThreads()}"), null);
                    return WaitForRunningThreadAfterAbort();
                }
            }
            else
            {
                blockedSince = 0;
            }

            lastPoints = points;
            if (Stopwatch.GetElapsedTime(started, now) >= _iterationTimeout)
            {
                ReportBug(BugKind.Hang, running, string.Create(CultureInfo.InvariantCulture, $"no scheduling point was reached for {_iterationTimeout.TotalSeconds:F0} s: a logical thread blocks on an uncontrolled primitive or loops without a scheduling point ({DescribeLiveThreads()})"), null);
                Hung = true;
                return false;
            }
        }

        return true;
    }

    private bool WaitForRunningThreadAfterAbort()
    {
        // A thread blocked outside the engine will not reach a scheduling point by itself; one that computes soon will.
        var running = _running;
        var stuck = running is not null && running.Worker.IsBlockedOutsideEngine;
        if (_driverGate.Wait(stuck ? s_watchInterval : s_abortGrace))
        {
            return true;
        }

        // The running thread is stuck where the engine cannot reach it; let the parked threads unwind (their finally
        // blocks may release what it waits for), then give up on what is left.
        Unwind();
        Hung = _threads.Any(thread => thread.State != ThreadState.Done);
        return false;
    }

    /// <summary>Lets every parked thread of an aborted iteration unwind, one at a time.</summary>
    private void Unwind()
    {
        foreach (var thread in _threads)
        {
            // The running thread is not parked: it unwinds by itself at its next scheduling point, or never.
            if (thread.State == ThreadState.Done || thread == _running)
            {
                continue;
            }

            thread.Worker.Unpark();
            if (!WaitUntilDone(thread))
            {
                Hung = true;
                return;
            }
        }

        foreach (var thread in _threads)
        {
            // A thread blocked outside the engine gets a short while: the parked threads' unwinding may have freed it.
            if (!WaitUntilDone(thread, thread.Worker.IsBlockedOutsideEngine ? TimeSpan.FromMilliseconds(250) : s_abortGrace))
            {
                Hung = true;
                return;
            }
        }
    }

    private bool WaitUntilDone(LogicalThread thread) => WaitUntilDone(thread, s_abortGrace);

    private bool WaitUntilDone(LogicalThread thread, TimeSpan grace)
    {
        while (thread.State != ThreadState.Done)
        {
            if (!_driverGate.Wait(grace))
            {
                return thread.State == ThreadState.Done;
            }
        }

        return true;
    }

    private void CheckInvariants(LogicalThread? stepOwner = null)
    {
        _checkThreadId = Environment.CurrentManagedThreadId;
        try
        {
            if (!CheckGuardedStates(stepOwner ?? Scheduler.CurrentThread))
            {
                return;
            }

            foreach (var check in _invariants)
            {
                if (check.OnlyWhenFree is ControlledLock { IsHeld: true })
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
            _checkThreadId = 0;
        }
    }

    private void CheckAtQuiescence()
    {
        _checkThreadId = Environment.CurrentManagedThreadId;
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

            foreach (var monitor in _monitors)
            {
                if (monitor.IsHot)
                {
                    ReportBug(BugKind.LivenessViolation, null, $"the iteration ended with liveness monitor '{monitor.Name}' hot ({monitor.HotReason}): what it waits for never happened", null);
                    return;
                }
            }
        }
        finally
        {
            _checkThreadId = 0;
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
        catch (Linearizability.NotLinearizableException notLinearizable)
        {
            ReportBug(BugKind.NotLinearizable, current, notLinearizable.Message, notLinearizable);
            return false;
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

            text.Append(DescribePending(thread));
        }

        return text.Length == 0 ? "none" : text.ToString();
    }

    private static string DescribePending(LogicalThread thread)
    {
        var target = thread.PendingTarget;
        switch (thread.Pending)
        {
            case PendingKind.Acquire:
                var owner = ((ControlledLock)target!).Owner;
                var held = owner is null ? "free" : $"held by t{owner.Id} '{owner.Name}'{(owner.State == ThreadState.Done ? " (finished)" : string.Empty)}";
                return $" waits to acquire '{target!.Name}' ({held})";
            case PendingKind.Join:
                return $" waits to join '{target!.Name}'";
            case PendingKind.SemaphoreWait:
                return string.Create(CultureInfo.InvariantCulture, $" waits for a permit of semaphore '{target!.Name}' (count {((ControlledSemaphore)target).CurrentCount})");
            case PendingKind.EventWait:
                return $" waits for event '{target!.Name}' ({(((ControlledEvent)target).IsSet ? "set" : "not set")})";
            case PendingKind.ConditionWait:
                return $" waits for a pulse of condition '{target!.Name}'";
            case PendingKind.Await:
                return " awaits a task that no logical thread has completed (a real Task.Delay, I/O or Task.Run never completes under control: use Scheduler.Delay, ctx.TimeProvider or the controlled primitives)";
            case PendingKind.Timer:
                return $" is timer '{target!.Name}' waiting for its due time";
            case PendingKind.Start:
                return " not started";
            case PendingKind.None:
                return " running";
            default:
                return $" at {PointLog.KindName(thread.Pending)}{(target is null ? string.Empty : " of '" + target.Name + "'")}";
        }
    }

    private void AddCheck(List<Check> checks, string name, Action? check, Func<bool>? holds, IControlledObject? onlyWhenFree)
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

        if (onlyWhenFree is ControlledLock guard && guard.Execution != this)
        {
            throw new ArgumentException($"Lock '{guard.Name}' belongs to another iteration.", nameof(onlyWhenFree));
        }

        checks.Add(new Check(name, check, holds, onlyWhenFree));
    }

    public void AddGuardedState(string name, ControlledLock guard, Func<long> fingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentNullException.ThrowIfNull(fingerprint);
        RequireSetup($"Guarded state '{name}'");
        if (guard.Execution != this)
        {
            throw new ArgumentException($"Lock '{guard.Name}' belongs to another iteration.", nameof(guard));
        }

        _guardedStates.Add(new GuardedState(name, guard, fingerprint));
    }

    /// <summary>
    /// Compares each guarded state whose lock is free with its fingerprint at the previous point where the lock was free;
    /// a change with no acquisition in between was made by <paramref name="stepOwner"/>'s step without the lock.
    /// </summary>
    private bool CheckGuardedStates(LogicalThread? stepOwner)
    {
        foreach (var state in _guardedStates)
        {
            if (state.Guard.IsHeld)
            {
                continue;
            }

            long fingerprint;
            try
            {
                fingerprint = state.Fingerprint();
            }
            catch (Exception exception) when (exception is not ExecutionCanceledException)
            {
                ReportBug(BugKind.InvariantViolation, stepOwner, $"the fingerprint of guarded state '{state.Name}' failed{Where(stepOwner)}: {exception.Message}", exception);
                return false;
            }

            if (state.HasBaseline && state.AcquisitionsAtBaseline == state.Guard.Acquisitions && fingerprint != state.Baseline)
            {
                var who = stepOwner is null ? "a step" : $"thread '{stepOwner.Name}'{(stepOwner.Operation is null ? string.Empty : $" [{stepOwner.Operation}]")}";
                ReportBug(BugKind.DataRace, stepOwner, $"data race on state '{state.Name}' guarded by lock '{state.Guard.Name}': {who} changed it in a step in which it did not hold the lock (nobody acquired the lock since the state was last seen with the lock free); every change of guarded state must happen inside the lock", null);
                return false;
            }

            state.Baseline = fingerprint;
            state.HasBaseline = true;
            state.AcquisitionsAtBaseline = state.Guard.Acquisitions;
        }

        return true;
    }

    private sealed record Check(string Name, Action? Action, Func<bool>? Predicate, IControlledObject? OnlyWhenFree);

    private sealed class GuardedState(string name, ControlledLock guard, Func<long> fingerprint)
    {
        public string Name { get; } = name;

        public ControlledLock Guard { get; } = guard;

        public Func<long> Fingerprint { get; } = fingerprint;

        public bool HasBaseline { get; set; }

        public long Baseline { get; set; }

        public long AcquisitionsAtBaseline { get; set; }
    }
}

/// <summary>The per-iteration buffers an execution fills; reused across iterations of a run.</summary>
internal sealed class IterationBuffers
{
    public List<int> Decisions { get; } = [];

    public List<StepRecord> Steps { get; } = [];

    public PointLog Points { get; } = new();

    public void Clear()
    {
        Decisions.Clear();
        Steps.Clear();
        Points.Clear();
    }
}

/// <summary>A bug as the execution saw it, before the runner attaches the trace.</summary>
internal sealed record FoundBug(BugKind Kind, string? ThreadName, string Message, Exception? Exception);

/// <summary>One executed step, recorded cheaply; names are resolved only when a bug is reported.</summary>
internal readonly record struct StepRecord(int ThreadId, StepKind Kind, string? Target, string? Operation);
