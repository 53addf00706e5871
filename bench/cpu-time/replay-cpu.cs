#:project ../Veralloc.Bench/Veralloc.Bench.csproj
#:property AllowUnsafeBlocks=true
// Replays a trace against registered allocators and reports thread CPU time per op, which, unlike the wall time
// `veralloc bench` reports, does not count the time the thread waits for a core on a loaded machine
// (docs/design-notes/0050-segregated-fit.md). Each allocator gets the harness's own warm-up
// (AllocationReplayer.Run, verified), then timed passes of the same ReplayRange loop.
// usage: dotnet run bench/cpu-time/replay-cpu.cs -c Release -- TRACE ALLOCATOR[,ALLOCATOR...] ROUNDS PASSES
using System.Globalization;
using System.Runtime.InteropServices;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Traces;

ParsedTrace trace = TraceParser.ParseFile(args[0]);
string[] names = args[1].Split(',');
int rounds = int.Parse(args[2], CultureInfo.InvariantCulture);
int passes = int.Parse(args[3], CultureInfo.InvariantCulture);
for (int round = 1; round <= rounds; round++)
{
    foreach (string name in names)
    {
        using ReplaySubject subject = (AllocatorRegistry.Find(name) ?? throw new ArgumentException($"unknown allocator '{name}'")).Create();
        ReplayResult warm = AllocationReplayer.Run(trace, subject, new ReplayOptions(1));
        if (!warm.Succeeded)
        {
            Console.WriteLine($"{name}: {warm.Failure}");
            return 1;
        }

        var offsets = new long[trace.IdCapacity];
        var cpu = new double[passes];
        for (int pass = 0; pass < passes; pass++)
        {
            long started = ThreadCpuNanoseconds();
            int failedAt = AllocationReplayer.ReplayRange(trace.Ops, 0, trace.Ops.Length, subject.Allocator, offsets, out _);
            long elapsed = ThreadCpuNanoseconds() - started;
            if (failedAt >= 0)
            {
                Console.WriteLine($"{name}: failed at op {failedAt}");
                return 1;
            }

            cpu[pass] = (double)elapsed / trace.OpCount;
        }

        Array.Sort(cpu);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{trace.Name} round {round} {name}: cpu ns/op min {cpu[0]:F1} median {cpu[passes / 2]:F1}; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
    }
}

return 0;

static unsafe long ThreadCpuNanoseconds()
{
    const int ClockThreadCpuTimeId = 3;
    Timespec time;
    return ClockGetTime(ClockThreadCpuTimeId, &time) == 0 ? (time.Seconds * 1_000_000_000L) + time.Nanoseconds : throw new InvalidOperationException("clock_gettime failed");
}

[DllImport("libc", EntryPoint = "clock_gettime")]
static extern unsafe int ClockGetTime(int clock, Timespec* time);

internal struct Timespec
{
    public long Seconds;
    public long Nanoseconds;
}
