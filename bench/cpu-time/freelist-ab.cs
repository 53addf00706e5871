#:project ../Veralloc.Bench.Micro/Veralloc.Bench.Micro.csproj
#:property AllowUnsafeBlocks=true
// The free list against the bench copy of its e902edf form (per-node checks, note 0014), replaying one trace alternately in
// one process, thread CPU ns/op (best of PASSES after two untimed), ROUNDS rounds, median ratio (docs/design-notes/0018).
// usage: dotnet run bench/cpu-time/freelist-ab.cs -c Release -- TRACE ROUNDS PASSES
using System.Globalization;
using System.Runtime.InteropServices;
using Veralloc.Allocators;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Bench.Micro.Baselines;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Traces;

ParsedTrace trace = TraceParser.ParseFile(args[0]);
int rounds = int.Parse(args[1], CultureInfo.InvariantCulture);
int passes = int.Parse(args[2], CultureInfo.InvariantCulture);
var ratios = new List<double>();
var shippedNs = new List<double>();
var baseNs = new List<double>();
for (int round = 0; round < rounds; round++)
{
    double a = 0, b = 0;
    for (int side = 0; side < 2; side++)
    {
        bool shipped = (side == 0) == (round % 2 == 0);
        using var memory = new NativeLinearMemory(16 * 1024);
        IOffsetAllocator allocator = shipped ? new FreeListAllocator(memory) : new PerNodeCheckFreeListAllocator(memory);
        var offsets = new long[trace.IdCapacity];
        double best = double.MaxValue;
        for (int pass = -2; pass < passes; pass++)
        {
            long t0 = Cpu();
            int failed = AllocationReplayer.ReplayRange(trace.Ops, 0, trace.Ops.Length, allocator, offsets, out _);
            long t = Cpu() - t0;
            if (failed >= 0) throw new InvalidOperationException($"failed at {failed}");
            if (pass >= 0) best = Math.Min(best, (double)t / trace.OpCount);
        }
        if (shipped) a = best; else b = best;
    }
    ratios.Add(a / b); shippedNs.Add(a); baseNs.Add(b);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: shipped {a:F1} baseline {b:F1} ratio {a / b:F3} load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
}
ratios.Sort(); shippedNs.Sort(); baseNs.Sort();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{trace.Name}: median shipped ÷ e902edf {ratios[rounds / 2]:F3} (range {ratios[0]:F3}–{ratios[^1]:F3}); ns/op median shipped {shippedNs[rounds / 2]:F1} baseline {baseNs[rounds / 2]:F1}"));

static unsafe long Cpu() { Timespec t; return ClockGetTime(3, &t) == 0 ? (t.Seconds * 1_000_000_000L) + t.Nanoseconds : throw new InvalidOperationException(); }
[DllImport("libc", EntryPoint = "clock_gettime")] static extern unsafe int ClockGetTime(int clock, Timespec* time);
internal struct Timespec { public long Seconds; public long Nanoseconds; }
