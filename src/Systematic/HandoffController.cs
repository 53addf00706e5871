using System.Diagnostics;

namespace Veralloc.Systematic;

/// <summary>
/// Chooses, during a run, where the run's threads execute (<see cref="HandoffMode"/>). In adaptive mode the run starts
/// pinned to one core, measures scheduling points per second in a window pinned and then in a window floating, keeps
/// the faster placement for a while, and measures again, so a machine that becomes busy (or quiet) is followed. A run
/// that starts within that while of another run's decision in the same process starts from that decision.
/// </summary>
/// <remarks>
/// The two placements fail differently: pinned costs a bounded fraction of floating's speed on an idle machine (a
/// same-core switch instead of a spin), floating collapses by one or two orders of magnitude when busy processes hold
/// the cores (a woken thread waits for a time slice). So the run starts pinned (the scheduler then balances other
/// processes away from the run's core from the start), floating must win its probe clearly to be chosen, and while it
/// is kept every window is checked: one much slower than the pinned rate switches back at once.
/// See docs/design-notes/0086-handoff-under-load.md.
/// </remarks>
internal sealed class HandoffController
{
    private const double FloatingMustWinBy = 1.1;
    private const double FloatingCollapseBelow = 0.75;
    private const int MinimumWindowIterations = 16;
    private static readonly TimeSpan s_window = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_keep = TimeSpan.FromSeconds(2);

    /// <summary>The last adaptive decision in this process, so a run of many short runs does not measure in each.</summary>
    private static Decision? s_lastDecision;

    private readonly WorkerPool _pool;
    private readonly ulong[]? _driverAffinity;
    private Phase _phase;
    private long _windowStart;
    private long _keepStart;
    private long _windowPoints;
    private int _windowIterations;
    private double _pinnedRate;
    private bool _driverPinned;

    public HandoffController(WorkerPool pool, HandoffMode mode)
    {
        _pool = pool;
        _driverAffinity = pool.OriginalAffinity;
        var effective = CpuAffinity.IsSupported ? mode : HandoffMode.Floating;
        _windowStart = Stopwatch.GetTimestamp();
        if (effective == HandoffMode.Adaptive && Volatile.Read(ref s_lastDecision) is { } last && Stopwatch.GetElapsedTime(last.Timestamp, _windowStart) < s_keep)
        {
            // A recent run of this process measured the machine: start where it ended, and keep checking.
            _pinnedRate = last.PinnedRate;
            _keepStart = last.Timestamp;
            _phase = Phase.Keep;
            Place(last.Placement);
            return;
        }

        if (effective != HandoffMode.Floating)
        {
            Place(HandoffMode.SingleCore);
        }

        _phase = effective == HandoffMode.Adaptive && _pool.Placement == HandoffMode.SingleCore ? Phase.MeasurePinned : Phase.Fixed;
    }

    /// <summary>Placements made in this run (the first one included), for the statistics.</summary>
    public int Switches { get; private set; }

    /// <summary>Called by the driver between iterations, while every worker is parked.</summary>
    public void IterationEnded(int points)
    {
        if (_phase == Phase.Fixed)
        {
            return;
        }

        _windowPoints += points;
        _windowIterations++;
        var now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(_windowStart, now);
        if (elapsed < s_window || _windowIterations < MinimumWindowIterations)
        {
            return;
        }

        var rate = _windowPoints / elapsed.TotalSeconds;
        switch (_phase)
        {
            case Phase.MeasurePinned:
                _pinnedRate = rate;
                Place(HandoffMode.Floating);
                _phase = Phase.MeasureFloating;
                break;
            case Phase.MeasureFloating:
                if (rate <= FloatingMustWinBy * _pinnedRate)
                {
                    Place(HandoffMode.SingleCore);
                }

                _phase = Phase.Keep;
                _keepStart = now;
                Volatile.Write(ref s_lastDecision, new Decision(_pool.Placement, _pinnedRate, now));
                break;
            default:
                if (_pool.Placement == HandoffMode.SingleCore)
                {
                    _pinnedRate = rate;
                }
                else if (rate < FloatingCollapseBelow * _pinnedRate)
                {
                    // The machine got busy: floating has collapsed, and pinned is known to do better.
                    Place(HandoffMode.SingleCore);
                    _keepStart = now;
                    Volatile.Write(ref s_lastDecision, new Decision(HandoffMode.SingleCore, _pinnedRate, now));
                    break;
                }

                if (Stopwatch.GetElapsedTime(_keepStart, now) >= s_keep)
                {
                    if (_pool.Placement != HandoffMode.SingleCore)
                    {
                        Place(HandoffMode.SingleCore);
                    }

                    _phase = Phase.MeasurePinned;
                }

                break;
        }

        _windowPoints = 0;
        _windowIterations = 0;
        _windowStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Gives the driver thread its affinity back.</summary>
    public void Stop()
    {
        if (_driverPinned)
        {
            CpuAffinity.Restore(_driverAffinity);
            _driverPinned = false;
        }
    }

    private void Place(HandoffMode placement)
    {
        if (placement == HandoffMode.SingleCore)
        {
            var cpu = CpuAffinity.CurrentCpu();
            if (cpu < 0 || !CpuAffinity.PinCurrentThread(cpu))
            {
                return;
            }

            _driverPinned = true;
            _pool.Place(HandoffMode.SingleCore, cpu);
        }
        else
        {
            Stop();
            _pool.Place(HandoffMode.Floating, -1);
        }

        Switches++;
    }

    private sealed record Decision(HandoffMode Placement, double PinnedRate, long Timestamp);

    private enum Phase
    {
        Fixed,
        MeasurePinned,
        MeasureFloating,
        Keep,
    }
}
