namespace Veralloc.Systematic;

/// <summary>
/// What code running inside a logical thread can ask of the engine. Outside a systematic test every member is
/// harmless: <see cref="Yield"/> does nothing, <see cref="Delay"/> is <see cref="Task.Delay(TimeSpan)"/>, random values
/// come from <see cref="System.Random.Shared"/>, and <see cref="Assert"/> still throws on a false condition.
/// </summary>
public static class Scheduler
{
    [ThreadStatic]
    private static LogicalThread? t_current;

    /// <summary>True when the caller is a logical thread of a running systematic test.</summary>
    public static bool IsControlled => t_current is not null;

    /// <summary>The name of the calling logical thread, or null outside one.</summary>
    public static string? CurrentThreadName => t_current?.Name;

    internal static LogicalThread? CurrentThread
    {
        get => t_current;
        set => t_current = value;
    }

    /// <summary>
    /// An explicit scheduling point: the engine may run another thread here. Use it to mark an access to shared
    /// state that is not protected by a controlled lock, so its interleavings are explored too (or use
    /// <see cref="Shared{T}"/>, which also checks for data races). A spin or poll loop should yield in every round:
    /// the fair phase (<see cref="TestOptions.FairAfterSteps"/>) then lets the other threads make progress.
    /// </summary>
    public static void Yield()
    {
        var current = Controlled();
        if (current is not null)
        {
            current.Execution.SchedulingPoint(current, PendingKind.Yield, null);
            current.Execution.Log(current, StepKind.Yield, null);
        }
    }

    /// <summary>Same as <see cref="Yield"/>: lets the engine interleave other threads here.</summary>
    public static void Interleave() => Yield();

    /// <summary>
    /// A delay. Under control it is a scheduling point where any other thread may run (time itself is not modelled;
    /// for timers ordered by due time use <see cref="SystematicContext.TimeProvider"/>), taken synchronously, and the
    /// returned task is already complete; outside a test it is <see cref="Task.Delay(TimeSpan)"/>.
    /// </summary>
    /// <param name="delay">How long to wait outside a test; not negative.</param>
    /// <returns>A task to await.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="delay"/> is negative or infinite (an endless delay is a wait: use a controlled event).
    /// </exception>
    public static Task Delay(TimeSpan delay)
    {
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "A delay must not be negative or infinite; to wait for something, wait on a controlled event.");
        }

        var current = Controlled();
        if (current is null)
        {
            return t_current is not null ? Task.CompletedTask : Task.Delay(delay);
        }

        current.Execution.SchedulingPoint(current, PendingKind.Delay, null);
        current.Execution.Log(current, StepKind.Delay, null);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A controlled random value in <c>[0, <paramref name="maxValue"/>)</c> (see <see cref="SystematicContext.Random(int)"/>);
    /// outside a test, from <see cref="System.Random.Shared"/>.
    /// </summary>
    /// <param name="maxValue">The exclusive upper bound; at least 1.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxValue"/> is less than 1.</exception>
    public static int RandomInteger(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxValue, 1);
        var current = t_current;
        return current is null ? System.Random.Shared.Next(maxValue) : current.Execution.ChooseValue(maxValue);
    }

    /// <summary>A controlled random boolean (see <see cref="RandomInteger"/>).</summary>
    /// <returns>The value.</returns>
    public static bool RandomBoolean() => RandomInteger(2) == 1;

    /// <summary>Fails the iteration with <see cref="BugKind.AssertionFailure"/> when <paramref name="condition"/> is false.</summary>
    /// <param name="condition">What must hold.</param>
    /// <param name="message">What it means, for the report.</param>
    /// <exception cref="SystematicAssertionException"><paramref name="condition"/> is false.</exception>
    public static void Assert(bool condition, string message)
    {
        if (!condition)
        {
            throw new SystematicAssertionException(message);
        }
    }

    /// <summary>
    /// Labels what the calling logical thread is doing now (for example <c>alloc k1</c>); reported steps show it.
    /// Costs one field write.
    /// </summary>
    /// <param name="operation">The label, or null to clear it.</param>
    public static void Describe(string? operation)
    {
        var current = t_current;
        if (current is not null)
        {
            current.Operation = operation;
        }
    }

    /// <summary>The calling logical thread when it may take a scheduling point now (not inside a check).</summary>
    private static LogicalThread? Controlled()
    {
        var current = t_current;
        return current is null || current.Execution.InCheckMode ? null : current;
    }
}
