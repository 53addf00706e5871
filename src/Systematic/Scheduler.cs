namespace Veralloc.Systematic;

/// <summary>
/// What code running inside a logical thread can ask of the engine. Outside a systematic test every member is
/// harmless: <see cref="Yield"/> does nothing and <see cref="Assert"/> still throws on a false condition.
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
    /// state that is not protected by a controlled lock, so its interleavings are explored too.
    /// </summary>
    public static void Yield()
    {
        var current = t_current;
        if (current is null || current.Execution.InCheckMode)
        {
            return;
        }

        current.Execution.SchedulingPoint(current, PendingKind.Yield, null, null);
    }

    /// <summary>Same as <see cref="Yield"/>: lets the engine interleave other threads here.</summary>
    public static void Interleave() => Yield();

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
}
