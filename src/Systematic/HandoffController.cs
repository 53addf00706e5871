using System.Diagnostics;

namespace Veralloc.Systematic;

/// <summary>
/// Chooses, during a run, where the run's threads execute (<see cref="HandoffMode"/>). In adaptive mode it measures
/// scheduling points per second in short windows with the threads floating and with them pinned to one core, keeps the
/// faster placement for a while, and measures again, so a machine that becomes busy (or quiet) mid-run is followed.
/// </summary>
internal sealed class HandoffController
{
    private static readonly TimeSpan s_probeWindow = TimeSpan.FromMilliseconds(30);
    private static readonly TimeSpan s_keepWindow = TimeSpan.FromSeconds(1);

    private readonly WorkerPool _pool;
    private readonly HandoffMode _mode;
    private readonly ulong[]? _driverAffinity;
    private Phase _phase;
    private long _windowStart;
    private long _windowPoints;
    private double _floatingRate;
    private bool _driverPinned;

    public HandoffController(WorkerPool pool, HandoffMode mode)
    {
        _pool = pool;
        _mode = CpuAffinity.IsSupported ? mode : HandoffMode.Floating;
        _driverAffinity = pool.OriginalAffinity;
        if (_mode == HandoffMode.SingleCore)
        {
            Place(HandoffMode.SingleCore);
        }

        _phase = _mode == HandoffMode.Adaptive ? Phase.ProbeFloating : Phase.Fixed;
        _windowStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Switches between placements made in this run, for the statistics.</summary>
    public int Switches { get; private set; }

    /// <summary>Called by the driver between iterations, while every worker is parked.</summary>
    public void IterationEnded(int points)
    {
        if (_phase == Phase.Fixed)
        {
            return;
        }

        _windowPoints += points;
        var now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(_windowStart, now);
        var window = _phase == Phase.Keep ? s_keepWindow : s_probeWindow;
        if (elapsed < window)
        {
            return;
        }

        var rate = _windowPoints / elapsed.TotalSeconds;
        switch (_phase)
        {
            case Phase.ProbeFloating:
                _floatingRate = rate;
                Place(HandoffMode.SingleCore);
                _phase = Phase.ProbePinned;
                break;
            case Phase.ProbePinned:
                if (rate < _floatingRate)
                {
                    Place(HandoffMode.Floating);
                }

                _phase = Phase.Keep;
                break;
            default:
                if (_pool.Placement != HandoffMode.Floating)
                {
                    Place(HandoffMode.Floating);
                }

                _phase = Phase.ProbeFloating;
                break;
        }

        _windowPoints = 0;
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
        ProbeFloating,
        ProbePinned,
        Keep,
    }
}
