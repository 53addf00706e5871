using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;

namespace Veralloc.Bench.Slots;

/// <summary>
/// What it costs to give an allocator the <see cref="MonitorLock"/> that Microsoft Coyote controls instead of the
/// default <see cref="ThreadingLock"/>, outside Coyote: an uncontended Enter/Exit through the seam, and a keyless
/// <see cref="SlotAllocator"/> alloc + free pair (two lock round trips). Each group's baseline is ThreadingLock
/// (docs/design-notes/0026-monitor-lock-for-coyote.md).
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class LockChoiceBenchmarks
{
    private readonly IAllocatorLock _threadingLock = new ThreadingLock();
    private readonly IAllocatorLock _monitorLock = new MonitorLock();
    private readonly SlotAllocator _onThreadingLock = SlotAllocator.CreateSimple(1024, new ThreadingLock());
    private readonly SlotAllocator _onMonitorLock = SlotAllocator.CreateSimple(1024, new MonitorLock());
    private int _counter;

    [Benchmark(Baseline = true, Description = "ThreadingLock Enter/Exit")]
    [BenchmarkCategory("seam")]
    public int ThreadingLockSeam() => RoundTrip(_threadingLock);

    [Benchmark(Description = "MonitorLock Enter/Exit")]
    [BenchmarkCategory("seam")]
    public int MonitorLockSeam() => RoundTrip(_monitorLock);

    [Benchmark(Baseline = true, Description = "SlotAllocator pair on ThreadingLock")]
    [BenchmarkCategory("slot pair")]
    public int ThreadingLockPair() => Pair(_onThreadingLock);

    [Benchmark(Description = "SlotAllocator pair on MonitorLock")]
    [BenchmarkCategory("slot pair")]
    public int MonitorLockPair() => Pair(_onMonitorLock);

    private int RoundTrip(IAllocatorLock gate)
    {
        gate.Enter();
        try
        {
            return ++_counter;
        }
        finally
        {
            gate.Exit();
        }
    }

    private static int Pair(SlotAllocator pool)
    {
        if (!pool.TryAllocate(null, out int slot))
        {
            throw new InvalidOperationException("a pool of 1024 with nothing held is full");
        }

        pool.Free(slot, 0);
        return slot;
    }
}
