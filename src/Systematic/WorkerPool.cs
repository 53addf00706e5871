using System.Diagnostics;

namespace Veralloc.Systematic;

/// <summary>
/// Real threads that carry logical threads, reused across iterations so that an iteration costs handovers,
/// not thread creation. Only the thread holding the baton (or the driver while none runs) touches the pool;
/// while an iteration unwinds after a bug, returns are serialized by a lock.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Stack<Worker> _idle = new();
    private readonly List<Worker> _all = [];
    private readonly Lock _returnLock = new();
    private bool _disposed;

    public WorkerPool() => OriginalAffinity = CpuAffinity.Capture();

    /// <summary>Where workers run: <see cref="HandoffMode.Floating"/> or <see cref="HandoffMode.SingleCore"/>.</summary>
    public HandoffMode Placement { get; private set; } = HandoffMode.Floating;

    /// <summary>The CPU of <see cref="HandoffMode.SingleCore"/>.</summary>
    public int PinnedCpu { get; private set; } = -1;

    /// <summary>Bumped at each placement change; a worker re-applies the placement when it sees a new version.</summary>
    public int PlacementVersion { get; private set; }

    /// <summary>The affinity the workers start with, restored when they float again.</summary>
    public ulong[]? OriginalAffinity { get; }

    /// <summary>Changes where workers run; called by the driver between iterations, while every worker is parked.</summary>
    public void Place(HandoffMode placement, int cpu)
    {
        Debug.Assert(placement != HandoffMode.Adaptive, "Adaptive chooses between the two placements.");
        Placement = placement;
        PinnedCpu = cpu;
        PlacementVersion++;
    }

    public Worker Rent()
    {
        Worker? worker;
        lock (_returnLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.TryPop(out worker))
            {
                return worker;
            }
        }

        worker = new Worker(this, _all.Count);
        _all.Add(worker);
        return worker;
    }

    public void Return(Worker worker)
    {
        lock (_returnLock)
        {
            Debug.Assert(!_idle.Contains(worker), "A worker is returned once per logical thread.");
            if (_disposed)
            {
                // A worker that was blocked outside the engine can finish after the run has ended: it stops instead of
                // parking for ever in a pool nobody will use again.
                worker.Stop();
                return;
            }

            _idle.Push(worker);
        }
    }

    public void Dispose()
    {
        lock (_returnLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;

            // Idle workers wait on their gate with no assignment: waking them that way ends their loop.
            while (_idle.TryPop(out var worker))
            {
                worker.Stop();
            }
        }
    }
}

/// <summary>One real thread; it is unparked to let the logical thread it carries run.</summary>
internal sealed class Worker
{
    private readonly Thread _thread;
    private readonly SemaphoreSlim _gate = new(0);
    private LogicalThread? _assigned;
    private volatile bool _parked;
    private bool _stopping;

    public Worker(WorkerPool pool, int index)
    {
        Pool = pool;
        _thread = new Thread(Loop, maxStackSize: 1 << 20)
        {
            IsBackground = true,
            Name = $"veralloc-systematic-worker-{index}",
        };

        // No execution context flows into a worker: a worker created by a logical thread must not look like work that
        // logical thread started outside the engine's control.
        _thread.UnsafeStart();
    }

    public WorkerPool Pool { get; }

    /// <summary>
    /// True while the worker's thread is blocked in a wait the engine does not control: it is in a managed wait
    /// (a lock, a semaphore, a task wait, a sleep) but not parked at its own gate.
    /// </summary>
    public bool IsBlockedOutsideEngine => !_parked && (_thread.ThreadState & System.Threading.ThreadState.WaitSleepJoin) != 0;

    public string ThreadDescription => $"'{_thread.Name}' (managed id {_thread.ManagedThreadId})";

    public void Assign(LogicalThread thread) => _assigned = thread;

    /// <summary>Lets the worker's logical thread run: once to start it, once per handover to it.</summary>
    public void Unpark() => _gate.Release();

    /// <summary>Waits, on the worker's own thread, until <see cref="Unpark"/>.</summary>
    public void Park()
    {
        _parked = true;
        _gate.Wait();
        _parked = false;
    }

    public void Stop()
    {
        _stopping = true;
        _gate.Release();
    }

    private void Loop()
    {
        var placementVersion = 0;
        while (true)
        {
            Park();
            if (_stopping)
            {
                return;
            }

            if (placementVersion != Pool.PlacementVersion)
            {
                placementVersion = Pool.PlacementVersion;
                if (Pool.Placement == HandoffMode.SingleCore)
                {
                    CpuAffinity.PinCurrentThread(Pool.PinnedCpu);
                }
                else
                {
                    CpuAffinity.Restore(Pool.OriginalAffinity);
                }
            }

            var thread = _assigned;
            Debug.Assert(thread is not null, "A worker's gate opens only after an assignment.");
            _assigned = null;
            thread.Execution.RunLogicalThread(thread);
        }
    }
}
