using Veralloc.Systematic.Dpor;

namespace Veralloc.Systematic;

/// <summary>
/// A wait handle whose <see cref="Wait"/> and <see cref="Set"/> are scheduling points: a logical thread that waits while
/// the event is not set is blocked (not enabled) until another sets it. With <see cref="EventResetMode.AutoReset"/> a
/// passing wait resets it, so each set lets one waiter through. The controlled counterpart of
/// <see cref="ManualResetEventSlim"/> and <see cref="AutoResetEvent"/>.
/// </summary>
/// <remarks>
/// A set happens before every wait it lets through (for <see cref="Shared{T}"/>). During setup the event may be set or
/// reset, and waited on only when already set. Used from a thread the engine does not own it throws
/// <see cref="UncontrolledConcurrencyException"/>.
/// </remarks>
public sealed class ControlledEvent : IControlledObject
{
    private readonly Execution _execution;
    private readonly long _accessKey;
    private readonly VectorClock _clock = new();

    internal ControlledEvent(Execution execution, string name, bool initiallySet, EventResetMode mode)
    {
        if (mode is not (EventResetMode.AutoReset or EventResetMode.ManualReset))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Expected AutoReset or ManualReset.");
        }

        _execution = execution;
        _accessKey = execution.NewAccessKey();
        Name = name;
        IsSet = initiallySet;
        Mode = mode;
    }

    /// <summary>The name used in reports.</summary>
    public string Name { get; }

    /// <summary>True while the event is set.</summary>
    public bool IsSet { get; private set; }

    /// <summary>Whether a passing wait resets the event.</summary>
    public EventResetMode Mode { get; }

    /// <summary>Sets the event, then reaches a scheduling point (a waiter may run at once).</summary>
    /// <exception cref="UncontrolledConcurrencyException">The caller is a thread the engine does not control.</exception>
    public void Set()
    {
        var current = _execution.CallerOf("event", Name);
        if (current is null)
        {
            _execution.RequireSetupToChange("event", Name, "Set");
            IsSet = true;
            return;
        }

        IsSet = true;
        current.Publish(_clock);
        _execution.Touch(current, _accessKey, AccessKind.Write);
        _execution.Log(current, StepKind.Signal, Name);
        _execution.SchedulingPoint(current, PendingKind.Continue, this);
    }

    /// <summary>Resets the event; not a scheduling point (no thread can become enabled by it).</summary>
    public void Reset()
    {
        if (_execution.CallerOf("event", Name) is { } current)
        {
            _execution.Touch(current, _accessKey, AccessKind.Write);
        }
        else
        {
            _execution.RequireSetupToChange("event", Name, "Reset");
        }

        IsSet = false;
    }

    /// <summary>A scheduling point, then passes the event (resetting it in auto-reset mode); blocked while it is not set.</summary>
    /// <exception cref="InvalidOperationException">Called during setup while the event is not set, or from a check.</exception>
    /// <exception cref="UncontrolledConcurrencyException">The caller is a thread the engine does not control.</exception>
    public void Wait()
    {
        var current = _execution.CallerOf("event", Name);
        if (current is null)
        {
            _execution.RequireSetupToChange("event", Name, "Wait");
            if (!IsSet)
            {
                throw new InvalidOperationException($"Event '{Name}' is not set during setup: a wait there would block forever.");
            }

            IsSet = Mode == EventResetMode.ManualReset;
            return;
        }

        _execution.SchedulingPoint(current, PendingKind.EventWait, this);
        if (Mode == EventResetMode.AutoReset)
        {
            IsSet = false;
        }

        current.Clock.Join(_clock);
        _execution.Touch(current, _accessKey, AccessKind.Write);
        _execution.Log(current, StepKind.Wait, Name);
    }

    /// <summary>The awaitable form of <see cref="Wait"/>: the scheduling point happens synchronously, on the calling thread.</summary>
    /// <returns>A completed task.</returns>
    public Task WaitAsync()
    {
        Wait();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
