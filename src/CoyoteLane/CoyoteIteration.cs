using Microsoft.Coyote.Specifications;

namespace Veralloc.CoyoteLane;

/// <summary>
/// One iteration of a lane scenario under Coyote: starts the workers as real <see cref="Task.Run(Action)"/> tasks
/// (which the rewritten assembly hands to Coyote's scheduler), records what each worker did in order, and turns a
/// failed check or an exception into a Coyote bug.
/// </summary>
/// <remarks>
/// Coyote runs one controlled operation at a time, so the step log needs no synchronization; it is the interleaving
/// printed when the iteration fails. That holds only until the first failure: once an assertion fails, Coyote detaches
/// and the remaining workers run on uncontrolled. The log therefore freezes at the first failure, so the interleaving a
/// bug reports, and the one its replay reports, end at the same step. The freeze flag is a plain field on purpose: the
/// rewriter turns <see cref="Volatile"/> and <see cref="Interlocked"/> calls into scheduling points, which would change
/// the schedules explored, and the flag is written under Coyote's control before it releases the other workers.
/// The worker name flows with the task (an <see cref="AsyncLocal{T}"/>).
/// </remarks>
public sealed class CoyoteIteration
{
    private static readonly AsyncLocal<string?> s_worker = new();

    private readonly List<string> _steps = [];

    private bool _failed;

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

    /// <summary>
    /// Records a step of the current worker (or of the test body, before and after the workers); ignored after the
    /// iteration has failed.
    /// </summary>
    public void Step(string what)
    {
        if (!_failed)
        {
            _steps.Add($"{s_worker.Value ?? "main"}: {what}");
        }
    }

    /// <summary>Fails the iteration unless <paramref name="condition"/> holds.</summary>
    public void Require(bool condition, string message)
    {
        if (!condition)
        {
            Fail(message);
        }
    }

    /// <summary>
    /// Fails the iteration: Coyote stops, reports <paramref name="message"/> and keeps the schedule that led here. The
    /// step log ends with this failure; what other workers do afterwards is not recorded.
    /// </summary>
    public void Fail(string message)
    {
        Step("FAILED: " + message);
        _failed = true;
        Specification.Assert(false, "{0}", message);
    }
}
