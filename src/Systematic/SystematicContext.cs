namespace Veralloc.Systematic;

/// <summary>
/// What a scenario declares for one iteration: its locks, its logical threads and the properties to check.
/// The scenario delegate runs once per iteration on the test thread, so every iteration starts from fresh state.
/// </summary>
public sealed class SystematicContext
{
    private readonly Execution _execution;

    internal SystematicContext(Execution execution, int iteration)
    {
        _execution = execution;
        Iteration = iteration;
    }

    /// <summary>The zero-based iteration being set up.</summary>
    public int Iteration { get; }

    /// <summary>Creates a controlled lock for this iteration.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <returns>The lock.</returns>
    public ControlledLock CreateLock(string name) => _execution.CreateLock(name);

    /// <summary>
    /// Declares a logical thread. During setup all declared threads start when the iteration starts; a running
    /// logical thread may also spawn (the new thread's start is then a scheduling point).
    /// </summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="body">The thread's code.</param>
    /// <returns>A handle to join the thread.</returns>
    /// <exception cref="InvalidOperationException">Called neither during setup nor from a running logical thread.</exception>
    public LogicalThread Spawn(string name, Action body) => _execution.Spawn(name, body);

    /// <summary>
    /// Registers an invariant run at every scheduling point (see <see cref="TestOptions.CheckInvariantsAtEveryPoint"/>)
    /// and at quiescence; it fails the iteration by throwing. It runs while every other logical thread is parked,
    /// and may take controlled locks that are free (they pass through without scheduling).
    /// </summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="check">Throws when the invariant is broken.</param>
    /// <param name="onlyWhenFree">When given, the invariant is skipped at points where a logical thread holds this lock.</param>
    public void AddInvariant(string name, Action check, ControlledLock? onlyWhenFree = null) =>
        _execution.AddInvariant(name, check, onlyWhenFree);

    /// <summary>Registers an invariant, as the other overload, that fails the iteration by returning false.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="holds">Returns false when the invariant is broken.</param>
    /// <param name="onlyWhenFree">When given, the invariant is skipped at points where a logical thread holds this lock.</param>
    public void AddInvariant(string name, Func<bool> holds, ControlledLock? onlyWhenFree = null) =>
        _execution.AddInvariant(name, holds, onlyWhenFree);

    /// <summary>Registers a check run once, after every logical thread has ended without a bug.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="check">Throws when the final state is wrong.</param>
    public void AtQuiescence(string name, Action check) => _execution.AddQuiescenceCheck(name, check, null);

    /// <summary>Registers a check run once, after every logical thread has ended without a bug.</summary>
    /// <param name="name">The name used in reports.</param>
    /// <param name="holds">Returns false when the final state is wrong.</param>
    public void AtQuiescence(string name, Func<bool> holds) => _execution.AddQuiescenceCheck(name, null, holds);
}
