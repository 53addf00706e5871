using System.Diagnostics.CodeAnalysis;

namespace Veralloc.Systematic;

/// <summary>
/// What a scenario declares for one iteration: its threads, its controlled objects and the properties to check.
/// The scenario delegate runs once per iteration on the test thread, so every iteration starts from fresh state.
/// </summary>
/// <remarks>
/// Everything created here belongs to the iteration: a lock, semaphore, event, condition, shared variable or timer
/// kept in a static field and used by a later iteration is refused. <see cref="Random(int)"/>, <see cref="Bool"/> and
/// <see cref="Spawn(string, Action)"/> may also be called by the logical threads while the iteration runs.
/// </remarks>
public sealed class SystematicContext
{
    private readonly Execution _execution;
    private ControlledTimeProvider? _timeProvider;

    internal SystematicContext(Execution execution, int iteration)
    {
        _execution = execution;
        Iteration = iteration;
    }

    /// <summary>The zero-based iteration being set up.</summary>
    public int Iteration { get; }

    /// <summary>
    /// A time provider with a virtual clock whose timers fire on logical threads, in due-time order; pass it to code that
    /// takes a <see cref="System.TimeProvider"/> (for example <c>await Task.Delay(delay, ctx.TimeProvider)</c>).
    /// </summary>
    public ControlledTimeProvider TimeProvider => _timeProvider ??= new ControlledTimeProvider(_execution);

    /// <summary>Creates a controlled lock for this iteration.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <returns>The lock.</returns>
    public ControlledLock CreateLock(string name) => new(_execution, Named(name, "lock"));

    /// <summary>Creates a controlled counting semaphore for this iteration.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="initialCount">The permits available at the start.</param>
    /// <param name="maxCount">The most permits it may hold.</param>
    /// <returns>The semaphore.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, or <paramref name="initialCount"/> exceeds <paramref name="maxCount"/>.</exception>
    public ControlledSemaphore CreateSemaphore(string name, int initialCount, int maxCount = int.MaxValue) =>
        new(_execution, Named(name, "semaphore"), initialCount, maxCount);

    /// <summary>Creates a controlled event for this iteration.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="initiallySet">Whether the event starts set.</param>
    /// <param name="mode">Whether a passing wait resets it (<see cref="EventResetMode.AutoReset"/>) or not.</param>
    /// <returns>The event.</returns>
    public ControlledEvent CreateEvent(string name, bool initiallySet = false, EventResetMode mode = EventResetMode.ManualReset) =>
        new(_execution, Named(name, "event"), initiallySet, mode);

    /// <summary>Creates a controlled condition variable over <paramref name="lockObject"/> for this iteration.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="lockObject">The lock waiters hold.</param>
    /// <returns>The condition.</returns>
    public ControlledCondition CreateCondition(string name, ControlledLock lockObject) =>
        new(_execution, Named(name, "condition"), lockObject);

    /// <summary>Creates a shared variable whose accesses are scheduling points checked for data races.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="name">The name used in reports.</param>
    /// <param name="initial">The initial value (written by the setup, so it happens before every thread).</param>
    /// <returns>The variable.</returns>
    public Shared<T> CreateShared<T>(string name, T initial = default!) => new(_execution, Named(name, "shared variable"), initial);

    /// <summary>Creates a liveness monitor (see <see cref="LivenessMonitor"/>).</summary>
    /// <param name="name">The name used in reports.</param>
    /// <returns>The monitor, cold.</returns>
    public LivenessMonitor CreateLivenessMonitor(string name) => _execution.CreateMonitor(name);

    /// <summary>
    /// Declares a logical thread. During setup all declared threads start when the iteration starts; a running
    /// logical thread may also spawn (the new thread's start is then a scheduling point).
    /// </summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="body">The thread's code. An <c>async</c> lambda binds to the <see cref="Func{Task}"/> overload.</param>
    /// <returns>A handle to join the thread.</returns>
    /// <exception cref="InvalidOperationException">Called neither during setup nor from a running logical thread.</exception>
    public LogicalThread Spawn(string name, Action body) => _execution.Spawn(name, body ?? throw new ArgumentNullException(nameof(body)), null);

    /// <summary>
    /// Declares an asynchronous logical thread: its awaits suspend it under the engine's control, and every continuation
    /// it runs is a scheduling point. It ends when the returned task completes.
    /// </summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="body">The thread's code.</param>
    /// <returns>A handle to join or await (<see cref="LogicalThread.Completion"/>) the thread.</returns>
    /// <exception cref="InvalidOperationException">Called neither during setup nor from a running logical thread.</exception>
    public LogicalThread Spawn(string name, Func<Task> body) => _execution.Spawn(name, null, body ?? throw new ArgumentNullException(nameof(body)));

    /// <summary>
    /// A controlled random value in <c>[0, <paramref name="maxValue"/>)</c>: chosen by the strategy (enumerated by DFS),
    /// recorded in the trace and replayed exactly. Callable during setup and from the iteration's logical threads.
    /// </summary>
    /// <param name="maxValue">The exclusive upper bound; at least 1.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxValue"/> is less than 1.</exception>
    public int Random(int maxValue) => _execution.ChooseValue(maxValue);

    /// <summary>A controlled random boolean (see <see cref="Random(int)"/>).</summary>
    /// <returns>The value.</returns>
    public bool Bool() => _execution.ChooseValue(2) == 1;

    /// <summary>
    /// Registers an invariant run at every scheduling point (see <see cref="TestOptions.CheckInvariantsAtEveryPoint"/>)
    /// and at quiescence; it fails the iteration by throwing. It runs while every other logical thread is parked,
    /// and may take controlled locks that are free (they pass through without scheduling).
    /// </summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="check">Throws when the invariant is broken.</param>
    /// <param name="onlyWhenFree">When given, the invariant is skipped at points where a logical thread holds this lock.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in the delegate a call must pass (Action or Func<bool>), so no call can bind to both; the optional lock is the same trailing parameter in each.")]
    public void AddInvariant(string name, Action check, ControlledLock? onlyWhenFree = null) =>
        _execution.AddInvariant(name, check, null, onlyWhenFree);

    /// <summary>Registers an invariant, as the other overload, that fails the iteration by returning false.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="holds">Returns false when the invariant is broken.</param>
    /// <param name="onlyWhenFree">When given, the invariant is skipped at points where a logical thread holds this lock.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in the delegate a call must pass (Action or Func<bool>), so no call can bind to both; the optional lock is the same trailing parameter in each.")]
    public void AddInvariant(string name, Func<bool> holds, ControlledLock? onlyWhenFree = null) =>
        _execution.AddInvariant(name, null, holds, onlyWhenFree);

    /// <summary>
    /// Declares that the state summarised by <paramref name="fingerprint"/> changes only while <paramref name="guard"/> is
    /// held. At every scheduling point where the lock is free the engine takes the fingerprint; if it differs from the one
    /// taken at the previous such point although nobody acquired the lock in between, the step that ran in between
    /// changed guarded state without the lock, and the iteration fails with <see cref="BugKind.DataRace"/>. This checks,
    /// on every schedule, the data-race freedom that partial-order reduction assumes (<see cref="StrategyKind.Dpor"/>);
    /// like invariants it runs only when <see cref="TestOptions.CheckInvariantsAtEveryPoint"/> is on.
    /// </summary>
    /// <param name="name">The name of the state, used in reports.</param>
    /// <param name="guard">The lock that guards it.</param>
    /// <param name="fingerprint">
    /// A summary of the state that changes whenever the state does (a hash of counters and lists); it runs like an
    /// invariant check, while every logical thread is parked, and may take the free guard lock.
    /// </param>
    public void AddGuardedState(string name, ControlledLock guard, Func<long> fingerprint) =>
        _execution.AddGuardedState(name, guard, fingerprint);

    /// <summary>Registers a check run once, after every logical thread has ended without a bug.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="check">Throws when the final state is wrong.</param>
    public void AtQuiescence(string name, Action check) => _execution.AddQuiescenceCheck(name, check, null);

    /// <summary>Registers a check run once, after every logical thread has ended without a bug.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="holds">Returns false when the final state is wrong.</param>
    public void AtQuiescence(string name, Func<bool> holds) => _execution.AddQuiescenceCheck(name, null, holds);

    /// <summary>
    /// Checks that the calls this iteration makes through the returned check are linearizable against
    /// <paramref name="model"/>: each logical thread performs its operations with
    /// <see cref="Linearizability.LinearizabilityCheck{TState, TOperation, TResult}.Call(TOperation, Func{TResult})"/>, which records their invocations and
    /// responses; once every thread has ended, the history is searched for an order of the calls that keeps their
    /// real-time order and makes the model return every recorded result. When there is none the iteration fails with
    /// <see cref="BugKind.NotLinearizable"/>, its message drawing the history per thread.
    /// </summary>
    /// <typeparam name="TState">The model's state.</typeparam>
    /// <typeparam name="TOperation">An operation with its arguments.</typeparam>
    /// <typeparam name="TResult">What an operation returns.</typeparam>
    /// <param name="model">The sequential specification.</param>
    /// <param name="name">The name used in reports.</param>
    /// <returns>The check, through which the threads call the object under test.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called after the setup (the check is registered at quiescence).</exception>
    public Linearizability.LinearizabilityCheck<TState, TOperation, TResult> Linearizable<TState, TOperation, TResult>(
        Linearizability.ISequentialModel<TState, TOperation, TResult> model, string name = "linearizable")
    {
        ArgumentNullException.ThrowIfNull(model);
        var check = new Linearizability.LinearizabilityCheck<TState, TOperation, TResult>(_execution, model, Named(name, "linearizability check"));
        AtQuiescence(name, check.CheckAtQuiescence);
        return check;
    }

    private string Named(string name, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_execution.Finished)
        {
            throw new InvalidOperationException($"The {what} '{name}' cannot be created: its iteration has ended.");
        }

        return name;
    }
}
