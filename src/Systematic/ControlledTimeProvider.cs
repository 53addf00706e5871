using System.Globalization;

using Veralloc.Systematic.Dpor;

namespace Veralloc.Systematic;

/// <summary>
/// A <see cref="TimeProvider"/> whose clock is virtual and whose timers fire on logical threads of the iteration, so code
/// that takes a <see cref="TimeProvider"/> (<c>Task.Delay(delay, provider)</c>, <c>new CancellationTokenSource(delay,
/// provider)</c>, <c>provider.CreateTimer</c>) runs under control. Get it from <see cref="SystematicContext.TimeProvider"/>.
/// </summary>
/// <remarks>
/// Each armed timer is carried by its own logical thread, whose firing is a scheduling point (<see cref="StepKind.Delay"/>)
/// enabled only while no other armed timer of the provider is due earlier: timers fire in due-time order, and any
/// number of other steps may happen before a timer fires (time is not a bound on the schedule, only on the order of
/// timers). The clock starts at 2000-01-01 UTC and jumps to a timer's due time when it fires. A periodic timer keeps
/// the iteration alive until it is disposed; one never disposed is eventually reported as a livelock.
/// </remarks>
public sealed class ControlledTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset s_epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Execution _execution;
    private readonly List<ControlledTimer> _timers = [];
    private long _nowTicks;
    private int _created;

    internal ControlledTimeProvider(Execution execution) => _execution = execution;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>The virtual time elapsed since the iteration started.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(_nowTicks);

    internal Execution Execution => _execution;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => s_epoch.AddTicks(_nowTicks);

    /// <inheritdoc />
    public override long GetTimestamp() => _nowTicks;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called outside the setup and the logical threads of the iteration.</exception>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var name = string.Create(CultureInfo.InvariantCulture, $"timer{_created++}");
        var timer = new ControlledTimer(this, name, callback, state);
        _timers.Add(timer);
        timer.Change(dueTime, period);
        return timer;
    }

    internal long NowTicks => _nowTicks;

    internal void AdvanceTo(long ticks) => _nowTicks = Math.Max(_nowTicks, ticks);

    /// <summary>True when no armed timer other than <paramref name="timer"/> is due before <paramref name="dueTicks"/>.</summary>
    internal bool IsEarliest(ControlledTimer timer, long dueTicks)
    {
        foreach (var other in _timers)
        {
            if (other != timer && other.DueTicks is { } due && due < dueTicks)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A timer of <see cref="ControlledTimeProvider"/>, fired by a logical thread of its own.</summary>
internal sealed class ControlledTimer : ITimer, IControlledObject
{
    private readonly ControlledTimeProvider _provider;
    private readonly TimerCallback _callback;
    private readonly object? _state;
    private long _periodTicks;
    private bool _disposed;
    private bool _running;

    public ControlledTimer(ControlledTimeProvider provider, string name, TimerCallback callback, object? state)
    {
        _provider = provider;
        Name = name;
        _callback = callback;
        _state = state;
    }

    public string Name { get; }

    /// <summary>The virtual time at which the timer fires next, or null while it is not armed.</summary>
    public long? DueTicks { get; private set; }

    /// <summary>The timer's thread may run: to fire (it is the earliest due) or to end (disarmed or disposed).</summary>
    public bool IsDue => _disposed || DueTicks is not { } due || _provider.IsEarliest(this, due);

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        ValidateSpan(dueTime, nameof(dueTime));
        ValidateSpan(period, nameof(period));
        if (_disposed)
        {
            return false;
        }

        var execution = _provider.Execution;
        if (execution.CallerOf("timer", Name) is null && !execution.InSetup)
        {
            throw new InvalidOperationException($"Timer '{Name}' can be changed only by the setup or a logical thread of its iteration.");
        }

        TouchFromThread(execution);
        _periodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
        DueTicks = dueTime == Timeout.InfiniteTimeSpan ? null : _provider.NowTicks + dueTime.Ticks;
        if (DueTicks is not null && !_running)
        {
            _running = true;
            execution.Spawn(Name, Fire, null);
        }

        return true;
    }

    public void Dispose()
    {
        TouchFromThread(_provider.Execution);
        _disposed = true;
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static void ValidateSpan(TimeSpan span, string name)
    {
        if (span != Timeout.InfiniteTimeSpan && span < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, span, "A timer's due time and period are non-negative or Timeout.InfiniteTimeSpan.");
        }
    }

    /// <summary>Timers decide which timer thread is enabled (the earliest due): partial-order reduction orders them with everything.</summary>
    private static void TouchFromThread(Execution execution)
    {
        if (Scheduler.CurrentThread is { } current && current.Execution == execution && !execution.InCheckMode)
        {
            execution.Touch(current, AccessKeys.Global, AccessKind.Global);
        }
    }

    private void Fire()
    {
        var execution = _provider.Execution;
        var self = Scheduler.CurrentThread!;
        while (true)
        {
            execution.SchedulingPoint(self, PendingKind.Timer, this);
            execution.Touch(self, AccessKeys.Global, AccessKind.Global);
            if (_disposed || DueTicks is not { } due)
            {
                _running = false;
                return;
            }

            _provider.AdvanceTo(due);
            DueTicks = _periodTicks > 0 ? due + _periodTicks : null;
            execution.Log(self, StepKind.Delay, Name);
            _callback(_state);
        }
    }
}
