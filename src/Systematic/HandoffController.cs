using System.Diagnostics;

namespace Veralloc.Systematic;

/// <summary>
/// Chooses, during a run, where the run's threads execute (<see cref="HandoffMode"/>). In adaptive mode the run starts
/// pinned to one core, measures scheduling points per second in a window pinned and then in a window floating, keeps
/// the faster placement for a while, and measures again, so a machine that becomes busy (or quiet) is followed.
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
        if (effective != HandoffMode.Floating)
        {
            Place(HandoffMode.SingleCore);
        }

        _phase = effective == HandoffMode.Adaptive && _pool.Placement == HandoffMode.SingleCore ? Phase.MeasurePinned : Phase.Fixed;
        _windowStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Changes of placement made in this run (the first pinning included), for the statistics.</summary>
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

    private enum Phase
    {
        Fixed,
        MeasurePinned,
        MeasureFloating,
        Keep,
    }
}
