using BenchmarkDotNet.Attributes;
using Veralloc.Bench.Replay;

namespace Veralloc.Bench.Micro;

/// <summary>
/// Allocate-then-free of a batch of small blocks (64 B, align 8) on each registered allocator: the best case for
/// every design (the free list stays short), isolating per-call overhead.
/// </summary>
[MemoryDiagnoser]
public class PairBenchmarks
{
    private const int BatchSize = 256;
    private readonly long[] _offsets = new long[BatchSize];
    private ReplaySubject? _subject;

    /// <summary>Registry name of the allocator under test.</summary>
    [Params("native", "freelist", "segfit")]
    public string Allocator { get; set; } = "native";

    [GlobalSetup]
    public void Setup() => _subject = AllocatorRegistry.Find(Allocator)!.Create();

    [GlobalCleanup]
    public void Cleanup() => _subject?.Dispose();

    /// <summary>256 allocations then 256 frees in allocation order.</summary>
    [Benchmark(OperationsPerInvoke = 2 * BatchSize)]
    public void AllocateThenFree()
    {
        var allocator = _subject!.Allocator;
        for (int i = 0; i < BatchSize; i++)
        {
            if (!allocator.TryAllocate(64, 8, out _offsets[i]))
            {
                throw new InvalidOperationException($"{Allocator} ran out of memory in a 256-block batch.");
            }
        }

        for (int i = 0; i < BatchSize; i++)
        {
            allocator.Free(_offsets[i], 64, 8);
        }
    }
}
