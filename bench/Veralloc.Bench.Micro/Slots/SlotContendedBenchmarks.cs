using BenchmarkDotNet.Attributes;
using Veralloc.Allocators.Slots;

namespace Veralloc.Bench.Slots;

/// <summary>
/// Throughput under contention: <see cref="Threads"/> threads each run <see cref="PairsPerThread"/> alloc + free
/// pairs on one shared pool at once. The reported time is per round (OperationsPerInvoke = pairs per thread), in
/// which every thread completes one pair: pool throughput is Threads / time. Threads are started per
/// invocation (about 0.1 ms, small next to the pairs). More threads than cores measures oversubscription, so
/// the counts stop at the machine's core count.
/// </summary>
public class SlotContendedBenchmarks
{
    private const int PairsPerThread = 50_000;
    private const int Capacity = 1024;

    private LockStackSlotPool _stackPool = null!;
    private ConcurrentBagSlotPool _bagPool = null!;
    private SlotAllocator _slots = null!;
    private ShardedSlotAllocator _sharded = null!;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    /// <summary>1, 2, 4, 8, 16 threads, up to the machine's core count (never fewer than 1 and 2).</summary>
    public static IEnumerable<int> ThreadCounts() =>
        new[] { 1, 2, 4, 8, 16 }.Where(count => count <= Math.Max(2, Environment.ProcessorCount));

    [GlobalSetup]
    public void Setup()
    {
        _stackPool = new LockStackSlotPool(Capacity);
        _bagPool = new ConcurrentBagSlotPool(Capacity);
        _slots = new SlotAllocator(Capacity, Capacity / 2);

        // A shard per thread: each thread's home shard (round robin) is its own.
        _sharded = new ShardedSlotAllocator(Capacity, Threads, Capacity / 2);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PairsPerThread, Description = "lock+Stack<int> pool")]
    public void LockStack() => RunOnThreads(() =>
    {
        for (int i = 0; i < PairsPerThread; i++)
        {
            _stackPool.TryAllocate(out int slot);
            _stackPool.Free(slot);
        }
    });

    [Benchmark(OperationsPerInvoke = PairsPerThread, Description = "ConcurrentBag<int> pool")]
    public void ConcurrentBag() => RunOnThreads(() =>
    {
        for (int i = 0; i < PairsPerThread; i++)
        {
            _bagPool.TryAllocate(out int slot);
            _bagPool.Free(slot);
        }
    });

    [Benchmark(OperationsPerInvoke = PairsPerThread, Description = "SlotAllocator, key per thread")]
    public void Slots() => RunOnThreads(() =>
    {
        var key = new SlotAffinity(Environment.CurrentManagedThreadId, 0);
        for (int i = 0; i < PairsPerThread; i++)
        {
            _slots.TryAllocate(key, out int slot);
            _slots.Free(slot, 4096);
        }
    });

    [Benchmark(OperationsPerInvoke = PairsPerThread, Description = "ShardedSlotAllocator, a shard per thread, key per thread")]
    public void Sharded() => RunOnThreads(() =>
    {
        var key = new SlotAffinity(Environment.CurrentManagedThreadId, 0);
        for (int i = 0; i < PairsPerThread; i++)
        {
            _sharded.TryAllocate(key, out int slot);
            _sharded.Free(slot, 4096);
        }
    });

    private void RunOnThreads(Action body)
    {
        if (Threads == 1)
        {
            body();
            return;
        }

        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            workers[t] = new Thread(() => body());
            workers[t].Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }
    }
}
