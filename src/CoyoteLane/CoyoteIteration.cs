using Microsoft.Coyote.Specifications;

namespace Veralloc.CoyoteLane;

/// <summary>
/// One iteration of a lane scenario under Coyote: starts the workers as real <see cref="Task.Run(Action)"/> tasks
/// (which the rewritten assembly hands to Coyote's scheduler), records what each worker did in order, and turns a
/// failed check or an exception into a Coyote bug.
/// </summary>
/// <remarks>
/// Coyote runs one controlled operation at a time, so the step log needs no synchronization; it is the interleaving
/// printed when the iteration fails. The worker name flows with the task (an <see cref="AsyncLocal{T}"/>).
/// </remarks>
public sealed class CoyoteIteration
{
    private static readonly AsyncLocal<string?> s_worker = new();

    private readonly List<string> _steps = [];

    /// <summary>The steps so far, each <c>worker: what</c>.</summary>
    public IReadOnlyList<string> Steps => _steps;

    /// <summary>The name of the worker running the caller, or null in the test body (before and after the workers).</summary>
    public static string? CurrentWorker => s_worker.Value;

    /// <summary>Starts a worker as a task; an exception escaping <paramref name="body"/> fails the iteration.</summary>
    /// <param name="name">The worker's name in the step log.</param>
    /// <param name="body">What the worker does.</param>
    public Task Spawn(string name, Action body) => Task.Run(() =>
    {
        s_worker.Value = name;
        try
        {
            body();
        }
        catch (Exception exception)
        {
            Fail($"{name} threw {exception.GetType().Name}: {exception.Message}");
        }
    });

    /// <summary>Records a step of the current worker (or of the test body, before and after the workers).</summary>
    public void Step(string what) => _steps.Add($"{s_worker.Value ?? "main"}: {what}");

    /// <summary>Fails the iteration unless <paramref name="condition"/> holds.</summary>
    public void Require(bool condition, string message)
    {
        if (!condition)
        {
            Fail(message);
        }
    }

    /// <summary>Fails the iteration: Coyote stops, reports <paramref name="message"/> and keeps the schedule that led here.</summary>
    public void Fail(string message)
    {
        Step("FAILED: " + message);
        Specification.Assert(false, "{0}", message);
    }
}
