using System.Diagnostics;

namespace Veralloc.Systematic;

/// <summary>
/// Real threads that carry logical threads, reused across iterations so that an iteration costs handovers,
/// not thread creation. Only the thread holding the baton (or the driver while none runs) touches the pool.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Stack<Worker> _idle = new();
    private readonly List<Worker> _all = [];
    private bool _disposed;

    public int Created => _all.Count;

    public Worker Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryPop(out var worker))
        {
            return worker;
        }

        worker = new Worker(this, _all.Count);
        _all.Add(worker);
        return worker;
    }

    public void Return(Worker worker)
    {
        Debug.Assert(!_idle.Contains(worker), "A worker is returned once per logical thread.");
        _idle.Push(worker);
    }

    public void Dispose()
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

/// <summary>One real thread; its gate is released to let the logical thread it carries run.</summary>
internal sealed class Worker
{
    private readonly Thread _thread;
    private LogicalThread? _assigned;
    private bool _stopping;

    public Worker(WorkerPool pool, int index)
    {
        Pool = pool;
        _thread = new Thread(Loop, maxStackSize: 1 << 20)
        {
            IsBackground = true,
            Name = $"veralloc-systematic-worker-{index}",
        };
        _thread.Start();
    }

    public WorkerPool Pool { get; }

    /// <summary>Released once to start the assigned logical thread and once per handover to it.</summary>
    public SemaphoreSlim Gate { get; } = new(0);

    public void Assign(LogicalThread thread) => _assigned = thread;

    public void Stop()
    {
        _stopping = true;
        Gate.Release();
    }

    private void Loop()
    {
        while (true)
        {
            Gate.Wait();
            if (_stopping)
            {
                return;
            }

            var thread = _assigned;
            Debug.Assert(thread is not null, "A worker's gate opens only after an assignment.");
            _assigned = null;
            thread.Execution.RunLogicalThread(thread);
        }
    }
}
