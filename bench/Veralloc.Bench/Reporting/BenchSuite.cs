using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Veralloc.Allocators.Slots;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Slots;
using Veralloc.Bench.Traces;

namespace Veralloc.Bench.Reporting;

/// <summary>How much work one <see cref="BenchSuite"/> run does; the defaults take a few minutes on 2 cores.</summary>
public sealed record SuiteOptions
{
    /// <summary>Timed passes per allocator and trace (median reported).</summary>
    public int Passes { get; init; } = 5;

    /// <summary>Timed passes for capped (O(n)-per-op) runs, which take seconds each.</summary>
    public int CappedPasses { get; init; } = 1;

    /// <summary>Ops an O(n)-per-op allocator replays of a steady-N trace before its free-all.</summary>
    public int Cap { get; init; } = 200_000;

    /// <summary>Live-block counts of the steady-N traces.</summary>
    public IReadOnlyList<int> SteadyLiveBlocks { get; init; } = [100, 1000, 10000, 100000];

    /// <summary>Thread counts of the contended benchmark.</summary>
    public IReadOnlyList<int> ContendedThreads { get; init; } = [1, 2];

    /// <summary>Passes over every contended pool and thread count (medians reported).</summary>
    public int ContendedPasses { get; init; } = 3;

    /// <summary>Timed pairs per thread in the contended benchmark.</summary>
    public int ContendedPairs { get; init; } = 300_000;

    /// <summary>Warm-up budget and cap.</summary>
    public ReplayOptions Replay { get; init; } = new();

    /// <summary>One line per setting, for the report.</summary>
    /// <returns>The lines.</returns>
    public IReadOnlyList<string> Describe() =>
    [
        string.Create(CultureInfo.InvariantCulture, $"{Passes} timed passes per allocator and trace ({CappedPasses} for † capped cells: the first {Cap:N0} ops of a steady-N trace, at least 2 × N, then free-all)"),
        string.Create(CultureInfo.InvariantCulture, $"warm-up: a checked pass, tier-up passes for at least {Replay.WarmUpMilliseconds} ms, a 200 ms pause, then passes until two successive ones are within {Replay.SteadyTolerance:P0} (cap {Replay.WarmUpCapMilliseconds / 1000.0:F0} s)"),
        string.Create(CultureInfo.InvariantCulture, $"contended: {string.Join(", ", ContendedThreads)} thread(s), {ContendedPairs:N0} pairs per thread, {ContendedPasses} passes, 10 keys, {Math.Max(2, Environment.ProcessorCount)} shards"),
    ];
}

/// <summary>
/// The suite <c>veralloc bench report</c> runs: lolfuzz and steady-N on every allocator beside <c>native</c> and
/// <c>glibc</c>, the slot trace, and the contended slot pools; everything in one process, one after another.
/// </summary>
public static class BenchSuite
{
    /// <summary>The trace files the suite needs in its folder.</summary>
    /// <returns>File names.</returns>
    public static IReadOnlyList<string> RequiredTraces(SuiteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [.. options.SteadyLiveBlocks.Select(n => $"steady-{n}.trace").Prepend("lolfuzz.trace").Append("slots.trace")];
    }

    /// <summary>Runs the suite.</summary>
    /// <param name="tracesDirectory">Folder with the shared traces.</param>
    /// <param name="options">Passes, cap, contended settings.</param>
    /// <param name="stampWithoutLoadAfter">The stamp taken before the run; the load average after it is filled in here.</param>
    /// <param name="progress">Told one line per measurement.</param>
    /// <returns>Everything measured.</returns>
    /// <exception cref="FormatException">A trace is malformed.</exception>
    /// <exception cref="IOException">A trace cannot be read.</exception>
    public static SuiteResults Run(string tracesDirectory, SuiteOptions options, RunStamp stampWithoutLoadAfter, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stampWithoutLoadAfter);
        ArgumentNullException.ThrowIfNull(progress);
        var workloads = new List<WorkloadFigures>();
        ParsedTrace lolfuzz = TraceParser.ParseFile(Path.Combine(tracesDirectory, "lolfuzz.trace"));
        workloads.Add(Workload("lolfuzz", lolfuzz, options, cap: int.MaxValue, progress));
        foreach (int n in options.SteadyLiveBlocks)
        {
            ParsedTrace steady = TraceParser.ParseFile(Path.Combine(tracesDirectory, $"steady-{n}.trace"));
            // A prefix shorter than the N initial allocations would time only allocations into an empty heap, never the
            // steady churn at N live blocks: the cap covers them and N/2 pairs at least.
            workloads.Add(Workload($"steady-{n}", steady, options, Math.Max(options.Cap, 2 * n), progress));
        }

        ParsedTrace slotTrace = TraceParser.ParseFile(Path.Combine(tracesDirectory, "slots.trace"));
        int keys = slotTrace.Ops.Where(op => op.Kind == TraceOpKind.SlotAlloc && op.Id >= 0).Select(op => op.Id).Distinct().Count();
        var slots = new List<SlotFigures>();
        const int capacity = 1000;
        foreach (int threshold in new[] { capacity, 0 })
        {
            SlotReplayResult result = SlotReplayer.Run($"slots(threshold {threshold})", slotTrace,
                () => new SlotAllocatorPool(new SlotAllocator(capacity, threshold)), options.Passes, checkEvery: 0, options.Replay.WarmUpMilliseconds);
            slots.Add(new SlotFigures(threshold, result.Succeeded ? result.NanosecondsPerOp : double.NaN, result.Stats.SameKeyReuseRate,
                keys == 0 ? double.NaN : 1.0 / keys, result.Succeeded, result.WarmUp));
            progress(string.Create(CultureInfo.InvariantCulture, $"slots threshold {threshold}: {result.NanosecondsPerOp:F1} ns/op, same-key reuse {result.Stats.SameKeyReuseRate:P1}{(result.Succeeded ? string.Empty : " FAILED: " + result.Failure)}"));
        }

        var contendedOptions = new ContendedOptions
        {
            PairsPerThread = options.ContendedPairs,
            ShardCount = Math.Max(2, Environment.ProcessorCount),
        };
        var runs = new List<ContendedRun>();
        for (int pass = 0; pass < options.ContendedPasses; pass++)
        {
            foreach (int threads in options.ContendedThreads)
            {
                foreach (string pool in ContendedSlotBenchmark.Pools)
                {
                    ContendedRun run = ContendedSlotBenchmark.Run(pool, threads, contendedOptions);
                    runs.Add(run);
                    progress(string.Create(CultureInfo.InvariantCulture, $"contended pass {pass + 1}, {threads} thread(s), {pool}: {run.PairsPerSecond / 1e6:F2} M pairs/s{(run.Failure is null ? string.Empty : " FAILED: " + run.Failure)}"));
                }
            }
        }

        var contended = ContendedReport.Medians(runs)
            .Select(m => new ContendedFigures(m.Pool, m.Threads, m.PairsPerSecond, m.SameKeyReuse,
                runs.Where(r => r.Pool == m.Pool && r.Threads == m.Threads).All(r => r.Failure is null)))
            .ToList();
        return new SuiteResults(stampWithoutLoadAfter with { LoadAfter = Probe.LoadAverage() }, workloads, slots, contended, options.Describe());
    }

    private static WorkloadFigures Workload(string name, ParsedTrace trace, SuiteOptions options, int cap, Action<string> progress)
    {
        var figures = new List<AllocatorFigures>();
        foreach (AllocatorEntry entry in AllocatorRegistry.All)
        {
            bool capped = entry.LinearPerOp && trace.OpCount > cap;
            ParsedTrace replayed = capped ? trace.Capped(cap) : trace;
            using (ReplaySubject subject = entry.Create())
            {
                figures.Add(Report(name, AllocatorFigures.From(AllocationReplayer.Run(replayed, subject, options.Replay with { Passes = capped ? options.CappedPasses : options.Passes }), capped), progress));
            }

            if (entry.Name == AllocatorRegistry.Native)
            {
                figures.Add(Report(name, AllocatorFigures.From(GlibcBaseline.Run(trace, options.Replay with { Passes = options.Passes })), progress));
            }
        }

        return new WorkloadFigures(name, trace.OpCount, figures);
    }

    private static AllocatorFigures Report(string workload, AllocatorFigures figures, Action<string> progress)
    {
        progress(string.Create(CultureInfo.InvariantCulture, $"{workload,-14} {figures.Allocator,-10} {(figures.Verified ? $"{figures.MedianNanosecondsPerOp,9:F1} ns/op" : figures.Outcome)}{(figures.Capped ? $" (capped: {figures.Ops:N0} ops)" : string.Empty)}; warm-up {figures.WarmUp}"));
        return figures;
    }

    /// <summary>Reads the facts a stamp needs from the machine.</summary>
    public static class Probe
    {
        /// <summary>The 1, 5 and 15 minute load averages, or <c>n/a</c> where /proc/loadavg does not exist.</summary>
        /// <returns>E.g. <c>3.48 2.43 3.99</c>.</returns>
        public static string LoadAverage() =>
            File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

        /// <summary>The CPU model from /proc/cpuinfo, else the architecture.</summary>
        /// <returns>E.g. <c>AMD EPYC 7B13</c>.</returns>
        public static string Cpu()
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                string? model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (model is not null && model.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0)
                {
                    return model[(colon + 1)..].Trim();
                }
            }

            return RuntimeInformation.ProcessArchitecture.ToString();
        }

        /// <summary>The commit checked out in <paramref name="repository"/>, marked <c>+changes</c> when tracked files differ from it; <c>unknown</c> without git.</summary>
        /// <returns>E.g. <c>512181c</c>.</returns>
        public static string Commit(string repository)
        {
            string? head = Git(repository, "rev-parse", "--short", "HEAD");
            if (head is null)
            {
                return "unknown";
            }

            // The files the report writes do not count: regenerating them twice from one commit is still that commit.
            string? changes = Git(repository, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks/results.md", ":!README.md");
            return string.IsNullOrWhiteSpace(changes) ? head : head + "+changes";
        }

        private static string? Git(string repository, params string[] arguments)
        {
            var start = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repository };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            try
            {
                using Process git = Process.Start(start) ?? throw new InvalidOperationException("git did not start");
                Task<string> errors = git.StandardError.ReadToEndAsync();
                string output = git.StandardOutput.ReadToEnd().Trim();
                git.WaitForExit();
                _ = errors.Result;
                return git.ExitCode == 0 ? output : null;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return null;
            }
        }
    }
}
