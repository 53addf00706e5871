using System.Diagnostics;
using Veralloc.Allocators.Slots;

namespace Veralloc.Bench.Slots;

/// <summary>One measured run: a pool, a thread count, the throughput and (for keyed pools) the same-key reuse.</summary>
/// <param name="Pool">The pool's name, one of <see cref="ContendedSlotBenchmark.Pools"/>.</param>
/// <param name="Threads">Threads running at once.</param>
/// <param name="PairsPerSecond">Free + alloc pairs completed per second over all threads.</param>
/// <param name="SameKeyReuse">Keyed allocations whose slot was last used with the same key, as a fraction; null for keyless pools.</param>
/// <param name="Failure">Null, or why the run is not valid (a refused allocation, a broken invariant at the end).</param>
public sealed record ContendedRun(string Pool, int Threads, double PairsPerSecond, double? SameKeyReuse, string? Failure);

/// <summary>
/// Slot pools under contention, the workload of SEED-SEMANTICS §3's reuse claim spread over threads: each thread keeps
/// <see cref="LivePerThread"/> slots and, <see cref="ContendedOptions.PairsPerThread"/> times, frees its oldest and
/// allocates one for a key drawn from <see cref="ContendedOptions.KeyCount"/> keys (the same seeded sequence for every pool), on one
/// shared pool of <see cref="Capacity"/> slots. Reported: pairs per second over all threads (wall clock from a common
/// start to the last thread's end) and same-key reuse (a keyed allocation whose slot's previous user had the same key).
/// </summary>
/// <remarks>
/// Pools: <c>SlotAllocator</c> (threshold = capacity, one lock), <c>ShardedSlotAllocator</c> (the same capacity and
/// threshold over <see cref="ContendedOptions.ShardCount"/> shards; each thread allocates from its home shard, assigned
/// round robin), the same sharded pool with the home shard chosen by key (<c>GetKeyHomeShard</c>: a key's warm slots
/// stay in one shard, but threads meet in it), and two keyless baselines, a <c>lock</c> + <c>Stack&lt;int&gt;</c> pool and a
/// <c>ConcurrentBag&lt;int&gt;</c> pool. Before the clock starts each thread fills its ring and runs
/// <see cref="ContendedOptions.WarmupPairsPerThread"/> pairs, so the cold slots are spent and the warm lists hold every key.
/// The reuse bookkeeping keeps one padded entry per slot, written only by the slot's owner, so it adds no sharing of
/// its own between threads.
/// </remarks>
public static class ContendedSlotBenchmark
{
    /// <summary>Slots in every pool (SEED §3's figure).</summary>
    public const int Capacity = 1000;

    /// <summary>Slots each thread holds at once.</summary>
    public const int LivePerThread = 8;

    /// <summary>The resident byte count every free reports.</summary>
    public const long BytesResident = 4096;

    // One reuse entry per 64-byte line, so owners of neighbouring slots never write the same line.
    private const int Stride = 16;
    private const int KeysPerThread = 1 << 16;

    /// <summary>The pools, in the order tables list them.</summary>
    public static IReadOnlyList<string> Pools { get; } = ["SlotAllocator", "ShardedSlotAllocator", "ShardedSlotAllocator, home by key", "lock+Stack<int>", "ConcurrentBag<int>"];

    /// <summary>Runs <paramref name="pool"/> once with <paramref name="threads"/> threads.</summary>
    /// <exception cref="ArgumentException"><paramref name="pool"/> is not one of <see cref="Pools"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public static ContendedRun Run(string pool, int threads, ContendedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, Capacity / LivePerThread);
        return pool switch
        {
            "SlotAllocator" => Measure(pool, new Unsharded(new SlotAllocator(Capacity, Capacity)), threads, options),
            "ShardedSlotAllocator" => Measure(pool, new Sharded(new ShardedSlotAllocator(Capacity, options.ShardCount, Capacity)), threads, options),
            "ShardedSlotAllocator, home by key" => Measure(pool, new ShardedByKey(new ShardedSlotAllocator(Capacity, options.ShardCount, Capacity)), threads, options),
            "lock+Stack<int>" => Measure(pool, new Stacked(new LockStackSlotPool(Capacity)), threads, options),
            "ConcurrentBag<int>" => Measure(pool, new Bagged(new ConcurrentBagSlotPool(Capacity)), threads, options),
            _ => throw new ArgumentException($"Unknown pool '{pool}'; expected one of {string.Join(", ", Pools)}.", nameof(pool)),
        };
    }

    private static ContendedRun Measure<TPool>(string name, TPool pool, int threads, ContendedOptions options)
        where TPool : IContendedPool
    {
        var lastKey = new int[Capacity * Stride];
        Array.Fill(lastKey, -1);
        var hits = new long[threads];
        var allocations = new long[threads];
        var failures = new string?[threads];
        var ended = new long[threads];

        // The clock starts when the last thread has warmed up (the barrier's post-phase action runs before any thread is
        // released) and stops at the last thread's own end, so neither depends on when this thread is scheduled.
        long began = 0;
        using var start = new Barrier(threads, _ => began = Stopwatch.GetTimestamp());
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int me = t;
            workers[t] = new Thread(() =>
            {
                failures[me] = Worker(pool, me, start, lastKey, options, out hits[me], out allocations[me]);
                ended[me] = Stopwatch.GetTimestamp();
            });
            workers[t].Start();
        }

        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        double seconds = (double)(ended.Max() - began) / Stopwatch.Frequency;
        string? failure = failures.FirstOrDefault(f => f is not null) ?? pool.FindEndStateProblem();
        long keyed = allocations.Sum();
        return new ContendedRun(name, threads, (double)options.PairsPerThread * threads / seconds,
            pool.IsKeyed && keyed > 0 ? (double)hits.Sum() / keyed : null, failure);
    }

    private static string? Worker<TPool>(TPool pool, int me, Barrier start, int[] lastKey, ContendedOptions options, out long hits, out long allocations)
        where TPool : IContendedPool
    {
        hits = 0;
        allocations = 0;
        string? failure = null;
        var random = new Random(options.Seed + me);
        var keys = new int[KeysPerThread];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = random.Next(options.KeyCount);
        }

        var ring = new int[LivePerThread];
        int next = 0;
        for (int i = 0; i < ring.Length && failure is null; i++)
        {
            failure = TryTake(pool, keys[next++ & (KeysPerThread - 1)], lastKey, ref ring[i], out _);
        }

        long ignoredHits = 0;
        for (int i = 0; i < options.WarmupPairsPerThread && failure is null; i++)
        {
            failure = Pair(pool, ring, i % LivePerThread, keys[next++ & (KeysPerThread - 1)], lastKey, ref ignoredHits);
        }

        // Counted in a local, not through the out parameter: that is an element of an array shared with the other
        // threads, and writing it every pair would add false sharing to every pool.
        long timedHits = 0;
        start.SignalAndWait();
        for (int i = 0; i < options.PairsPerThread && failure is null; i++)
        {
            failure = Pair(pool, ring, i % LivePerThread, keys[next++ & (KeysPerThread - 1)], lastKey, ref timedHits);
        }

        hits = timedHits;
        allocations = options.PairsPerThread;
        foreach (int slot in ring)
        {
            pool.Free(slot);
        }

        return failure;
    }

    private static string? Pair<TPool>(TPool pool, int[] ring, int index, int key, int[] lastKey, ref long hits)
        where TPool : IContendedPool
    {
        pool.Free(ring[index]);
        string? failure = TryTake(pool, key, lastKey, ref ring[index], out bool hit);
        hits += hit ? 1 : 0;
        return failure;
    }

    private static string? TryTake<TPool>(TPool pool, int key, int[] lastKey, ref int slot, out bool hit)
        where TPool : IContendedPool
    {
        if (!pool.TryAllocate(key, out slot))
        {
            hit = false;
            return $"an allocation was refused with at most {LivePerThread} slots a thread held of {Capacity}";
        }

        // Only the slot's owner touches its entry, and it owns the slot now.
        ref int previous = ref lastKey[slot * Stride];
        hit = previous == key;
        previous = key;
        return null;
    }

    private interface IContendedPool
    {
        bool IsKeyed { get; }

        bool TryAllocate(int key, out int slot);

        void Free(int slot);

        string? FindEndStateProblem();
    }

    private readonly struct Unsharded(SlotAllocator pool) : IContendedPool
    {
        public bool IsKeyed => true;

        public bool TryAllocate(int key, out int slot) => pool.TryAllocate(new SlotAffinity(key, 0), out slot);

        public void Free(int slot) => pool.Free(slot, BytesResident);

        public string? FindEndStateProblem() => EndState(pool.CheckInvariants, pool.IsEmpty);
    }

    private readonly struct Sharded(ShardedSlotAllocator pool) : IContendedPool
    {
        public bool IsKeyed => true;

        public bool TryAllocate(int key, out int slot) => pool.TryAllocate(new SlotAffinity(key, 0), out slot);

        public void Free(int slot) => pool.Free(slot, BytesResident);

        public string? FindEndStateProblem() => EndState(pool.CheckInvariants, pool.IsEmpty);
    }

    private readonly struct ShardedByKey(ShardedSlotAllocator pool) : IContendedPool
    {
        public bool IsKeyed => true;

        public bool TryAllocate(int key, out int slot)
        {
            var affinity = new SlotAffinity(key, 0);
            return pool.TryAllocate(pool.GetKeyHomeShard(affinity), affinity, out slot);
        }

        public void Free(int slot) => pool.Free(slot, BytesResident);

        public string? FindEndStateProblem() => EndState(pool.CheckInvariants, pool.IsEmpty);
    }

    private readonly struct Stacked(LockStackSlotPool pool) : IContendedPool
    {
        public bool IsKeyed => false;

        public bool TryAllocate(int key, out int slot) => pool.TryAllocate(out slot);

        public void Free(int slot) => pool.Free(slot);

        public string? FindEndStateProblem() => null;
    }

    private readonly struct Bagged(ConcurrentBagSlotPool pool) : IContendedPool
    {
        public bool IsKeyed => false;

        public bool TryAllocate(int key, out int slot) => pool.TryAllocate(out slot);

        public void Free(int slot) => pool.Free(slot);

        public string? FindEndStateProblem() => null;
    }

    private static string? EndState(Action checkInvariants, bool isEmpty)
    {
        try
        {
            checkInvariants();
        }
        catch (Veralloc.Invariants.InvariantViolationException violation)
        {
            return violation.Message;
        }

        return isEmpty ? null : "slots are still Used after every thread freed all it held";
    }
}

/// <summary>How long and how <see cref="ContendedSlotBenchmark"/> runs.</summary>
public sealed record ContendedOptions
{
    /// <summary>Timed free + alloc pairs per thread.</summary>
    public int PairsPerThread { get; init; } = 500_000;

    /// <summary>Untimed pairs per thread before the clock starts.</summary>
    public int WarmupPairsPerThread { get; init; } = 20_000;

    /// <summary>Distinct affinity keys the threads draw from (10: SEED §3's figure).</summary>
    public int KeyCount { get; init; } = 10;

    /// <summary>Shards of the sharded pool (the same for every thread count, so its figures compare).</summary>
    public int ShardCount { get; init; } = 2;

    /// <summary>Seed of each thread's key sequence (thread t uses Seed + t).</summary>
    public int Seed { get; init; } = 2026;

    /// <summary>Throws when a count is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PairsPerThread, 1, nameof(PairsPerThread));
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupPairsPerThread, nameof(WarmupPairsPerThread));
        ArgumentOutOfRangeException.ThrowIfLessThan(KeyCount, 1, nameof(KeyCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(ShardCount, 1, nameof(ShardCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ShardCount, ShardedSlotAllocator.MaxShardCount, nameof(ShardCount));
    }
}
