using BenchmarkDotNet.Attributes;
using Veralloc.Allocators.Concurrency;

namespace Veralloc.Bench.Slots;

/// <summary>
/// The price of the seam: an uncontended Enter/Exit around a trivial critical section, taken on a
/// <see cref="System.Threading.Lock"/> directly (the baseline) and through an <see cref="IAllocatorLock"/> field that
/// holds a <see cref="ThreadingLock"/>, as <c>SlotAllocator</c> does (an interface call the JIT may devirtualize
/// by guarded devirtualization).
/// </summary>
public class SlotLockSeamBenchmarks
{
    private readonly Lock _direct = new();
    private readonly IAllocatorLock _seam = new ThreadingLock();
    private int _counter;

    [Benchmark(Baseline = true, Description = "System.Threading.Lock Enter/Exit")]
    public int Direct()
    {
        _direct.Enter();
        try
        {
            return ++_counter;
        }
        finally
        {
            _direct.Exit();
        }
    }

    [Benchmark(Description = "IAllocatorLock (ThreadingLock) Enter/Exit")]
    public int ThroughSeam()
    {
        _seam.Enter();
        try
        {
            return ++_counter;
        }
        finally
        {
            _seam.Exit();
        }
    }
}
