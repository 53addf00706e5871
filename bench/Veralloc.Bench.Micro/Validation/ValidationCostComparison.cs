using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Veralloc.Allocators;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Allocators.Textbook;
using Veralloc.Bench.Micro.Baselines;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Traces;
using Veralloc.Invariants;

namespace Veralloc.Bench.Micro.Validation;

/// <summary>
/// What the defences against corrupted metadata cost, as ratios measured in one process and one run: each shipped
/// allocator against a copy of its code from before the defence (kept only in this bench, <c>Baselines/</c>), both
/// fed the same work in alternation, round after round, so that whatever the machine is doing falls on both. Each
/// sample is timed by the thread's CPU clock where the OS has one (time the thread is descheduled does not count),
/// and the figure is the median of the per-round ratios. Run with
/// <c>dotnet run -c Release --project bench/Veralloc.Bench.Micro -- validation [--traces DIR] [--rounds N]</c>;
/// the traces are those of <c>veralloc traces</c> (lolfuzz, steady-1000).
/// </summary>
internal static class ValidationCostComparison
{
    private const int DefaultRounds = 9;

    public static int Run(IReadOnlyList<string> args)
    {
        string traceDirectory = "traces";
        int rounds = DefaultRounds;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--traces" when i + 1 < args.Count:
                    traceDirectory = args[++i];
                    break;
                case "--rounds" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed is >= 1 and <= 1000:
                    rounds = parsed;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"error: unknown or incomplete argument '{args[i]}'; usage: validation [--traces DIR] [--rounds 1..1000]");
                    return 2;
            }
        }

        string lolfuzzPath = Path.Combine(traceDirectory, "lolfuzz.trace");
        string steadyPath = Path.Combine(traceDirectory, "steady-1000.trace");
        foreach (string path in new[] { lolfuzzPath, steadyPath })
        {
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"error: {path} does not exist; generate the traces with `dotnet run -c Release --project src/Cli -- traces` (or pass --traces DIR).");
                return 2;
            }
        }

        ParsedTrace lolfuzz = TraceParser.ParseFile(lolfuzzPath);
        ParsedTrace steady = TraceParser.ParseFile(steadyPath);
        Pair[] pairs =
        [
            TracePair("free list, validated walk ÷ before (a45bd79)", lolfuzz,
                () => Owned(new NativeLinearMemory(AllocatorRegistry.ReservationPages), m => new FreeListAllocator(m)),
                () => Owned(new NativeLinearMemory(AllocatorRegistry.ReservationPages), m => new PreValidationFreeListAllocator(m))),
            TracePair("free list, validated walk ÷ before (a45bd79)", steady,
                () => Owned(new NativeLinearMemory(AllocatorRegistry.ReservationPages), m => new FreeListAllocator(m)),
                () => Owned(new NativeLinearMemory(AllocatorRegistry.ReservationPages), m => new PreValidationFreeListAllocator(m))),
            TracePair("free list, cheap walk checks ÷ per-node rule (e902edf)", lolfuzz,
                () => Owned(new NativeLinearMemory(AllocatorRegistry.ReservationPages), m => new FreeListAllocator(m)),
                () => Owned(new NativeLinearMemory(AllocatorRegistry.ReservationPages), m => new PerNodeCheckFreeListAllocator(m))),
            TracePair("free list, cheap walk checks ÷ per-node rule (e902edf)", steady,
                () => Owned(new NativeLinearMemory(AllocatorRegistry.ReservationPages), m => new FreeListAllocator(m)),
                () => Owned(new NativeLinearMemory(AllocatorRegistry.ReservationPages), m => new PerNodeCheckFreeListAllocator(m))),
            TracePair("linked list, validated walk + boundary tag ÷ before (a45bd79)", steady,
                () => Owned(FixedHeap(), m => new LinkedListAllocator(m)),
                () => Owned(FixedHeap(), m => new PreValidationLinkedListAllocator(m))),
            TracePair("linked list, boundary tag ÷ validated walk alone (512181c)", steady,
                () => Owned(FixedHeap(), m => new LinkedListAllocator(m)),
                () => Owned(FixedHeap(), m => new UntaggedLinkedListAllocator(m))),
            TracePair("fixed-size blocks, ownership table ÷ before (d8840a7^)", lolfuzz,
                () => Owned(FixedHeap(), m => new FixedSizeBlockAllocator(new SegregatedFitAllocator(m.SizeBytes), m)),
                () => Owned(FixedHeap(), m => new PreOwnershipFixedSizeBlockAllocator(new SegregatedFitAllocator(m.SizeBytes), m))),
            TracePair("A/A: linked list ÷ itself (the harness's own bias and noise)", steady,
                () => Owned(FixedHeap(), m => new LinkedListAllocator(m)),
                () => Owned(FixedHeap(), m => new LinkedListAllocator(m))),
            new Pair($"free-list land, boundary tag ÷ validated walk alone (512181c)", $"{LandLoop.LiveRanges} live ranges, insert + find-first", 2L * LandLoop.Steps,
                () => LandLoop.Time(new ShippedLand()), () => LandLoop.Time(new UntaggedLand())),
        ];

        Console.WriteLine($"# validation cost, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Machine()}, load average {LoadAverage()}");
        Console.WriteLine($"# {rounds} rounds; each round times shipped and baseline once, in alternating order; clock: {(CpuClock.Available ? "thread CPU time" : "wall time (no thread CPU clock on this OS)")}");
        var ratios = pairs.Select(_ => new List<double>()).ToArray();
        var shippedNs = pairs.Select(_ => new List<double>()).ToArray();
        var baselineNs = pairs.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int p = 0; p < pairs.Length; p++)
            {
                Pair pair = pairs[p];
                bool shippedFirst = round % 2 == 0;
                double first = (shippedFirst ? pair.TimeShipped : pair.TimeBaseline)();
                double second = (shippedFirst ? pair.TimeBaseline : pair.TimeShipped)();
                double shipped = shippedFirst ? first : second;
                double baseline = shippedFirst ? second : first;
                ratios[p].Add(shipped / baseline);
                shippedNs[p].Add(shipped / pair.Ops);
                baselineNs[p].Add(baseline / pair.Ops);
            }

            Console.Error.Write($"\rround {round + 1}/{rounds}");
        }

        Console.Error.WriteLine();
        Console.WriteLine();
        Console.WriteLine("| comparison | work | shipped ÷ baseline (median of rounds) | range of rounds | ns/op shipped | ns/op baseline |");
        Console.WriteLine("|---|---|---:|---|---:|---:|");
        for (int p = 0; p < pairs.Length; p++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {pairs[p].Name} | {pairs[p].Work} | {AllocationReplayer.Median(ratios[p]):0.00} | {ratios[p].Min():0.00}–{ratios[p].Max():0.00} | {AllocationReplayer.Median(shippedNs[p]):0.0} | {AllocationReplayer.Median(baselineNs[p]):0.0} |"));
        }

        Console.WriteLine();
        Console.WriteLine($"# load average at the end: {LoadAverage()}");
        return 0;
    }

    private static NativeLinearMemory FixedHeap()
    {
        var memory = new NativeLinearMemory(AllocatorRegistry.FixedHeapPages);
        if (!memory.TryGrow(AllocatorRegistry.FixedHeapPages, out _))
        {
            memory.Dispose();
            throw new InvalidOperationException($"Cannot grow a {AllocatorRegistry.FixedHeapPages}-page native memory.");
        }

        return memory;
    }

    private static (IOffsetAllocator Allocator, IDisposable Memory) Owned<TMemory>(TMemory memory, Func<TMemory, IOffsetAllocator> create)
        where TMemory : IDisposable => (create(memory), memory);

    /// <summary>One trace replayed on a fresh allocator: once untimed (warm-up: JIT, caches, the allocator's lists), once timed.</summary>
    private static Pair TracePair(string name, ParsedTrace trace, Func<(IOffsetAllocator, IDisposable)> shipped, Func<(IOffsetAllocator, IDisposable)> baseline)
    {
        var offsets = new long[trace.IdCapacity];
        double Time(Func<(IOffsetAllocator, IDisposable)> create)
        {
            (IOffsetAllocator allocator, IDisposable memory) = create();
            try
            {
                Replay(trace, allocator, offsets);
                long started = CpuClock.Now();
                Replay(trace, allocator, offsets);
                return CpuClock.Now() - started;
            }
            finally
            {
                memory.Dispose();
            }
        }

        return new Pair(name, trace.Name, trace.OpCount, () => Time(shipped), () => Time(baseline));
    }

    private static void Replay(ParsedTrace trace, IOffsetAllocator allocator, long[] offsets)
    {
        int failed = AllocationReplayer.ReplayRange(trace.Ops, 0, trace.OpCount, allocator, offsets, out Exception? error);
        if (failed >= 0)
        {
            throw new InvalidOperationException($"{allocator.GetType().Name} failed {trace.Name} at op {failed + 1}: {error?.Message ?? "out of memory"}; the comparison needs both to run the whole trace.");
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string Machine()
    {
        string model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : RuntimeInformation.ProcessArchitecture.ToString();
        return $"{model}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    private sealed record Pair(string Name, string Work, long Ops, Func<double> TimeShipped, Func<double> TimeBaseline);
}

/// <summary>Nanoseconds of the calling thread's CPU time (Linux, <c>CLOCK_THREAD_CPUTIME_ID</c>), or of wall time elsewhere.</summary>
internal static partial class CpuClock
{
    private const int ThreadCpuTimeClock = 3;

    public static bool Available { get; } = OperatingSystem.IsLinux() && TryRead(out _);

    public static long Now()
    {
        if (Available && TryRead(out long nanoseconds))
        {
            return nanoseconds;
        }

        return (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
    }

    private static bool TryRead(out long nanoseconds)
    {
        if (ClockGetTime(ThreadCpuTimeClock, out TimeSpec time) != 0)
        {
            nanoseconds = 0;
            return false;
        }

        nanoseconds = (time.Seconds * 1_000_000_000L) + time.Nanoseconds;
        return true;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

/// <summary>The land operations the loop uses, so that one generic loop (specialised per struct) drives both lands.</summary>
internal interface ILandUnderTest
{
    void Create(ILinearMemory memory);

    void Insert(AddressRange range);

    bool TryTakeFirst(long size, out AddressRange taken);
}

internal struct ShippedLand : ILandUnderTest
{
    private FreeListLand _land;

    public void Create(ILinearMemory memory) => _land = new FreeListLand(memory);

    public readonly void Insert(AddressRange range) => _land.Insert(range);

    public readonly bool TryTakeFirst(long size, out AddressRange taken)
    {
        bool found = _land.TryFindFirst(size, FindDelete.Low, out LandFindResult result);
        taken = result.Deleted;
        return found;
    }
}

internal struct UntaggedLand : ILandUnderTest
{
    private UntaggedFreeListLand _land;

    public void Create(ILinearMemory memory) => _land = new UntaggedFreeListLand(memory);

    public readonly void Insert(AddressRange range) => _land.Insert(range);

    public readonly bool TryTakeFirst(long size, out AddressRange taken)
    {
        bool found = _land.TryFindFirst(size, FindDelete.Low, out LandFindResult result);
        taken = result.Deleted;
        return found;
    }
}

/// <summary>
/// A land used as an allocator's free set: a fixed-seed sequence of sizes (1 to 32 grains) and of which live range to
/// give back; <see cref="LiveRanges"/> live ranges churned by insert-then-find-first (low end).
/// </summary>
internal static class LandLoop
{
    public const int LiveRanges = 100;
    public const int Steps = 200_000;

    private static readonly long[] s_sizes = Sequence(seed: 1, count: 4096, s => 8L * (1 + s.Next(32)));
    private static readonly int[] s_victims = Sequence(seed: 2, count: 4096, s => s.Next(LiveRanges));

    public static double Time<TLand>(TLand land)
        where TLand : struct, ILandUnderTest
    {
        var memory = new SlabLinearMemory(maxPages: 4, initialPages: 4);
        land.Create(memory);
        land.Insert(new AddressRange(0, memory.SizeBytes));
        var live = new AddressRange[LiveRanges];
        for (int i = 0; i < live.Length; i++)
        {
            Take(ref land, s_sizes[i], out live[i]);
        }

        Churn(ref land, live, Steps / 10);
        long started = CpuClock.Now();
        Churn(ref land, live, Steps);
        return CpuClock.Now() - started;
    }

    private static void Churn<TLand>(ref TLand land, AddressRange[] live, int steps)
        where TLand : struct, ILandUnderTest
    {
        for (int step = 0; step < steps; step++)
        {
            int victim = s_victims[step & 4095];
            land.Insert(live[victim]);
            Take(ref land, s_sizes[(step + LiveRanges) & 4095], out live[victim]);
        }
    }

    private static void Take<TLand>(ref TLand land, long size, out AddressRange taken)
        where TLand : struct, ILandUnderTest
    {
        if (!land.TryTakeFirst(size, out taken))
        {
            throw new InvalidOperationException($"The land loop ran out of room for {size} bytes; its memory must hold {LiveRanges} ranges of up to 256 bytes.");
        }
    }

    private static T[] Sequence<T>(int seed, int count, Func<Random, T> next)
    {
        var random = new Random(seed);
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = next(random);
        }

        return values;
    }
}
