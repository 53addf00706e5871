using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Veralloc.Allocators.Slots;
using Veralloc.Bench.Reporting;
using Veralloc.Bench.Slots;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc bench contended</c>: slot pools shared by 1, 2, 4, 8 and 16 threads (as many as the machine has cores,
/// never fewer than 2): pairs per second and same-key reuse of the unsharded and the sharded slot allocator beside a
/// lock + Stack pool and a ConcurrentBag pool (docs/design-notes/0013-sharded-slot-allocator.md).
/// </summary>
public static class ContendedCommand
{
    public static Command Create()
    {
        var threadsOption = new Option<int[]>("--threads") { Description = "Thread counts to run (default: 1, 2, 4, 8, 16 up to the core count, at least 1 and 2).", AllowMultipleArgumentsPerToken = true };
        var shardsOption = new Option<int>("--shards") { Description = "Shards of the sharded pool (default: the core count, at least 2).", DefaultValueFactory = _ => Math.Max(2, Environment.ProcessorCount) };
        var keysOption = new Option<int>("--keys") { Description = "Distinct affinity keys the threads draw from (SEED §3: 10).", DefaultValueFactory = _ => 10 };
        var pairsOption = new Option<int>("--pairs") { Description = "Timed free + alloc pairs per thread.", DefaultValueFactory = _ => 500_000 };
        var warmupOption = new Option<int>("--warmup") { Description = "Untimed pairs per thread first.", DefaultValueFactory = _ => 20_000 };
        var passesOption = new Option<int>("--passes") { Description = "Passes over every pool and thread count; medians are reported.", DefaultValueFactory = _ => 3 };
        var outOption = new Option<FileInfo?>("--out") { Description = "Also write the Markdown report to this file (e.g. docs/benchmarks/contended.md)." };
        var machineOption = new Option<string>("--machine") { Description = "Machine description recorded in the report.", DefaultValueFactory = _ => $"{Environment.ProcessorCount}-core machine" };
        var dateOption = new Option<string>("--date") { Description = "Date recorded in the report.", DefaultValueFactory = _ => DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        var command = new Command("contended", "Slot pools shared by several threads: pairs/s and same-key reuse, unsharded vs sharded vs lock+Stack vs ConcurrentBag.")
        {
            threadsOption, shardsOption, keysOption, pairsOption, warmupOption, passesOption, outOption, machineOption, dateOption,
        };
        command.SetAction(parseResult =>
        {
            int[] threads = parseResult.GetValue(threadsOption) is { Length: > 0 } given ? given : DefaultThreadCounts();
            var options = new ContendedOptions
            {
                ShardCount = parseResult.GetValue(shardsOption),
                KeyCount = parseResult.GetValue(keysOption),
                PairsPerThread = parseResult.GetValue(pairsOption),
                WarmupPairsPerThread = parseResult.GetValue(warmupOption),
            };
            int passes = parseResult.GetValue(passesOption);
            int mostThreads = ContendedSlotBenchmark.Capacity / ContendedSlotBenchmark.LivePerThread;
            if (threads.Any(count => count < 1 || count > mostThreads))
            {
                return CliErrors.BadArguments($"--threads must each lie in 1..{mostThreads} ({ContendedSlotBenchmark.Capacity} slots, {ContendedSlotBenchmark.LivePerThread} held by each thread).");
            }

            if (options.ShardCount < 1 || options.ShardCount > ShardedSlotAllocator.MaxShardCount || options.KeyCount < 1 || options.PairsPerThread < 1 || options.WarmupPairsPerThread < 0 || passes < 1)
            {
                return CliErrors.BadArguments($"--shards must lie in 1..{ShardedSlotAllocator.MaxShardCount}; --keys, --pairs and --passes must be at least 1; --warmup must not be negative.");
            }

            return Run([.. threads.Distinct().Order()], options, passes, parseResult.GetValue(outOption), parseResult.GetValue(machineOption)!, parseResult.GetValue(dateOption)!);
        });
        return command;
    }

    private static int[] DefaultThreadCounts() => [.. new[] { 1, 2, 4, 8, 16 }.Where(count => count <= Math.Max(2, Environment.ProcessorCount))];

    private static int Run(int[] threadCounts, ContendedOptions options, int passes, FileInfo? output, string machine, string date)
    {
        string loadBefore = LoadAverage();
        AnsiConsole.MarkupLineInterpolated($"{Environment.ProcessorCount} CPUs, load average {loadBefore}; {passes} pass(es) of {options.PairsPerThread:N0} pairs a thread; {options.KeyCount} keys; sharded pools: {options.ShardCount} shards");
        var runs = new List<ContendedRun>();
        var failures = new List<string>();
        for (int pass = 0; pass < passes; pass++)
        {
            foreach (int threads in threadCounts)
            {
                foreach (string pool in ContendedSlotBenchmark.Pools)
                {
                    ContendedRun run = ContendedSlotBenchmark.Run(pool, threads, options);
                    runs.Add(run);
                    AnsiConsole.MarkupLineInterpolated($"  pass {pass + 1} {threads,2} thread(s) {pool,-33} {run.PairsPerSecond / 1e6,7:F2} M pairs/s {(run.SameKeyReuse is double reuse ? $"reuse {reuse * 100:F1} %" : string.Empty)}");
                    if (run.Failure is not null)
                    {
                        failures.Add($"{pool} with {threads} thread(s): {run.Failure}");
                    }
                }
            }
        }

        IReadOnlyList<ContendedRun> medians = ContendedReport.Medians(runs);
        string report = ContendedReport.Markdown(medians, options, passes, machine, date, $"{loadBefore} → {LoadAverage()}");
        AnsiConsole.WriteLine(report);
        if (output is not null)
        {
            try
            {
                File.WriteAllText(output.FullName, report);
                AnsiConsole.MarkupLineInterpolated($"wrote {output.FullName}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CliErrors.BadArguments($"cannot write '{output.FullName}': {e.Message}");
            }
        }

        foreach (string failure in failures)
        {
            CliErrors.VerificationFailed(failure);
        }

        return failures.Count == 0 ? ExitCodes.Success : ExitCodes.BugFound;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
