using System.Globalization;

using Veralloc.Systematic.Dpor;

namespace Veralloc.Systematic;

/// <summary>
/// A counting semaphore whose <see cref="Wait"/> and <see cref="Release"/> are scheduling points: a logical thread that
/// waits while the count is 0 is blocked (not enabled) until another releases. The controlled counterpart of
/// <see cref="SemaphoreSlim"/>.
/// </summary>
/// <remarks>
/// During setup (on the test thread, before any logical thread runs) <see cref="Wait"/> takes a permit if there is one
/// and throws otherwise, since nothing could ever release it; checks may read <see cref="CurrentCount"/> only. A release
/// happens before every later take of a permit (for <see cref="Shared{T}"/>). Used from a thread the engine does not
/// own it throws <see cref="UncontrolledConcurrencyException"/>.
/// </remarks>
public sealed class ControlledSemaphore : IControlledObject
{
    private readonly Execution _execution;
    private readonly long _accessKey;
    private readonly VectorClock _clock = new();

    internal ControlledSemaphore(Execution execution, string name, int initialCount, int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initialCount, maxCount);
        _execution = execution;
        _accessKey = execution.NewAccessKey();
        Name = name;
        CurrentCount = initialCount;
        MaxCount = maxCount;
    }

    /// <summary>The name used in reports.</summary>
    public string Name { get; }

    /// <summary>The permits available now.</summary>
    public int CurrentCount { get; private set; }

    /// <summary>The most permits the semaphore may hold.</summary>
    public int MaxCount { get; }

    /// <summary>A scheduling point, then takes a permit; blocked while none is available.</summary>
    /// <exception cref="InvalidOperationException">Called during setup with no permit available, or from a check.</exception>
    /// <exception cref="UncontrolledConcurrencyException">The caller is a thread the engine does not control.</exception>
    public void Wait()
    {
        var current = _execution.CallerOf("semaphore", Name);
        if (current is null)
        {
            _execution.RequireSetupToChange("semaphore", Name, "Wait");
            if (CurrentCount == 0)
            {
                throw new InvalidOperationException($"Semaphore '{Name}' has no permit during setup: a wait there would block forever.");
            }

            CurrentCount--;
            return;
        }

        _execution.SchedulingPoint(current, PendingKind.SemaphoreWait, this);
        CurrentCount--;
        _execution.Touch(current, _accessKey, AccessKind.Write);
        current.Clock.Join(_clock);
        _execution.Log(current, StepKind.Wait, Name);
    }

    /// <summary>The awaitable form of <see cref="Wait"/>: the scheduling point happens synchronously, on the calling thread.</summary>
    /// <returns>A completed task.</returns>
    public Task WaitAsync()
    {
        Wait();
        return Task.CompletedTask;
    }

    /// <summary>Adds <paramref name="releaseCount"/> permits, then reaches a scheduling point (a waiter may run at once).</summary>
    /// <param name="releaseCount">How many permits to add; at least 1.</param>
    /// <returns>The count before the release, as <see cref="SemaphoreSlim.Release(int)"/> returns.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="releaseCount"/> is less than 1.</exception>
    /// <exception cref="SemaphoreFullException">The release would exceed <see cref="MaxCount"/>; nothing changes.</exception>
    public int Release(int releaseCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(releaseCount, 1);
        var current = _execution.CallerOf("semaphore", Name);
        if (current is null)
        {
            _execution.RequireSetupToChange("semaphore", Name, "Release");
        }

        if (releaseCount > MaxCount - CurrentCount)
        {
            throw new SemaphoreFullException(string.Create(CultureInfo.InvariantCulture, $"Releasing {releaseCount} permits of semaphore '{Name}' would exceed its maximum {MaxCount} (count {CurrentCount})."));
        }

        var before = CurrentCount;
        CurrentCount += releaseCount;
        if (current is not null)
        {
            current.Publish(_clock);
            _execution.Touch(current, _accessKey, AccessKind.Write);
            _execution.Log(current, StepKind.Signal, Name);
            _execution.SchedulingPoint(current, PendingKind.Continue, this);
        }

        return before;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
