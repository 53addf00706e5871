using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Veralloc.Scenarios;
using Veralloc.Systematic;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc bench handoff</c>: the engine's throughput on an idle machine and with CPU-bound processes competing for
/// the cores, for each hand-off placement, with the context switches per schedule that explain the difference
/// (docs/design-notes/0086-handoff-under-load.md).
/// </summary>
public static partial class HandoffBenchCommand
{
    private static readonly (string Name, HandoffMode Mode)[] s_modes =
    [
        ("floating", HandoffMode.Floating),
        ("single-core", HandoffMode.SingleCore),
        ("adaptive", HandoffMode.Adaptive),
    ];

    public static Command Create()
    {
        var scenarioOption = new Option<string>("--scenario") { Description = "The scenario to run.", DefaultValueFactory = _ => "slots/alloc-free-2x3" };
        var iterationsOption = new Option<int>("--iterations", "-n") { Description = "Schedules per measurement (random strategy).", DefaultValueFactory = _ => 5_000 };
        var repeatsOption = new Option<int>("--repeats") { Description = "Measurements per cell; the median is reported.", DefaultValueFactory = _ => 3 };
        var hogsOption = new Option<int>("--hogs") { Description = "CPU-bound processes started for the loaded column.", DefaultValueFactory = _ => 1 };
        var command = new Command("handoff", "Engine throughput idle and under CPU load, per hand-off placement.")
        {
            scenarioOption, iterationsOption, repeatsOption, hogsOption,
        };
        command.SetAction(parseResult =>
        {
            TestCommand.WidenWhenRedirected();
            var name = parseResult.GetValue(scenarioOption)!;
            var iterations = parseResult.GetValue(iterationsOption);
            var repeats = parseResult.GetValue(repeatsOption);
            var hogs = parseResult.GetValue(hogsOption);
            if (ScenarioCatalog.Find(name) is not { ExpectsBug: false } scenario)
            {
                return CliErrors.BadArguments($"Unknown or buggy scenario '{name}': pick a correct one from 'veralloc test --list'.");
            }

            if (iterations < 1 || repeats < 1 || hogs < 1)
            {
                return CliErrors.BadArguments("--iterations, --repeats and --hogs must be at least 1.");
            }

            try
            {
                return Run(scenario, iterations, repeats, hogs);
            }
            catch (BugWhileMeasuredException bug)
            {
                return CliErrors.VerificationFailed(bug.Message);
            }
        });
        return command;
    }

    private static int Run(SystematicScenario scenario, int iterations, int repeats, int hogs)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{scenario.Name}[/], random strategy, {iterations:N0} schedules per measurement, median of {repeats}; {Environment.ProcessorCount} CPUs, load average {LoadAverage()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");

        // Warm the JIT once, so the first cell is not slower for it.
        Measure(scenario, Math.Min(iterations, 1_000), HandoffMode.Floating);
        var idle = s_modes.Select(mode => Median(repeats, () => Measure(scenario, iterations, mode.Mode))).ToArray();
        Measurement[] loaded;
        using (var load = CpuLoad.Start(hogs))
        {
            Thread.Sleep(200);
            AnsiConsole.MarkupLineInterpolated($"loaded: {hogs} CPU-bound process(es) ({load.Description}); load average {LoadAverage()}");
            loaded = s_modes.Select(mode => Median(repeats, () => Measure(scenario, iterations, mode.Mode))).ToArray();
        }

        var table = new Table().AddColumn("Hand-off")
            .AddColumn(new TableColumn("Idle: schedules/s").RightAligned()).AddColumn(new TableColumn("distinct/s").RightAligned()).AddColumn(new TableColumn("ctx switches / schedule").RightAligned())
            .AddColumn(new TableColumn("Loaded: schedules/s").RightAligned()).AddColumn(new TableColumn("distinct/s").RightAligned()).AddColumn(new TableColumn("ctx switches / schedule").RightAligned())
            .AddColumn(new TableColumn("Slowdown (idle ÷ loaded)").RightAligned());
        for (var i = 0; i < s_modes.Length; i++)
        {
            table.AddRow(
                s_modes[i].Name,
                F0(idle[i].SchedulesPerSecond),
                F0(idle[i].DistinctPerSecond),
                idle[i].SwitchesPerSchedule is { } a ? a.ToString("F1", CultureInfo.InvariantCulture) : "n/a",
                F0(loaded[i].SchedulesPerSecond),
                F0(loaded[i].DistinctPerSecond),
                loaded[i].SwitchesPerSchedule is { } b ? b.ToString("F1", CultureInfo.InvariantCulture) : "n/a",
                (idle[i].SchedulesPerSecond / loaded[i].SchedulesPerSecond).ToString("F2", CultureInfo.InvariantCulture) + "×");
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[grey]distinct/s: schedules whose decision sequence had not been run before in that measurement, per second; the random strategy repeats schedules of a small scenario, so schedules/s overstates how fast new interleavings are explored ({idle[^1].DistinctSchedules:N0} distinct of {iterations:N0} in the last idle measurement).[/]");
        AnsiConsole.MarkupLine("[grey]ctx switches: voluntary + involuntary of the whole process (getrusage, Linux); the adaptive row measures both placements and keeps the faster.[/]");
        return ExitCodes.Success;
    }

    private static Measurement Measure(SystematicScenario scenario, int iterations, HandoffMode mode)
    {
        var before = ContextSwitches();
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Random, Seed = 1, Iterations = iterations, TraceDirectory = null, Handoff = mode }, scenario.Build);
        var after = ContextSwitches();
        if (result.Bug is { } bug)
        {
            throw new BugWhileMeasuredException($"{scenario.Name} found a bug while benchmarked: {bug.Message}");
        }

        var perSchedule = before is { } b && after is { } a ? (double)(a - b) / result.Statistics.Iterations : (double?)null;
        return new Measurement(result.Statistics.SchedulesPerSecond, result.Statistics.DistinctSchedulesPerSecond, result.Statistics.DistinctSchedules, perSchedule);
    }

    private static Measurement Median(int repeats, Func<Measurement> measure)
    {
        var samples = Enumerable.Range(0, repeats).Select(_ => measure()).OrderBy(sample => sample.SchedulesPerSecond).ToArray();
        return samples[samples.Length / 2];
    }

    /// <summary>
    /// Context switches (voluntary and involuntary) of this process so far, ended threads included, from
    /// <c>getrusage(RUSAGE_SELF)</c>; null where that is not available.
    /// </summary>
    private static long? ContextSwitches()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // struct rusage on 64-bit Linux: two timevals, then 14 longs; ru_nvcsw and ru_nivcsw are the last two.
        var usage = new long[18];
        try
        {
            return NativeMethods.getrusage(0, usage) == 0 ? usage[16] + usage[17] : null;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static string F0(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private readonly record struct Measurement(double SchedulesPerSecond, double DistinctPerSecond, int DistinctSchedules, double? SwitchesPerSchedule);

    /// <summary>A correct scenario failed while measured: a bug found, not a defect of the benchmark.</summary>
    private sealed class BugWhileMeasuredException(string message) : Exception(message);

    private static partial class NativeMethods
    {
        [System.Runtime.InteropServices.LibraryImport("libc")]
        internal static partial int getrusage(int who, [System.Runtime.InteropServices.Out] long[] usage);
    }

    /// <summary>CPU-bound processes (a shell busy loop), or busy threads where there is no POSIX shell.</summary>
    private sealed class CpuLoad : IDisposable
    {
        private readonly List<Process> _processes = [];
        private readonly CancellationTokenSource _stop = new();

        private CpuLoad(int count)
        {
            if (File.Exists("/bin/sh"))
            {
                for (var i = 0; i < count; i++)
                {
                    _processes.Add(Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "while :; do :; done"]) { UseShellExecute = false })!);
                }

                Description = "/bin/sh busy loops";
                return;
            }

            for (var i = 0; i < count; i++)
            {
                new Thread(() =>
                {
                    while (!_stop.IsCancellationRequested)
                    {
                    }
                }) { IsBackground = true }.Start();
            }

            Description = "busy threads in this process";
        }

        public string Description { get; }

        public static CpuLoad Start(int count) => new(count);

        public void Dispose()
        {
            _stop.Cancel();
            foreach (var process in _processes)
            {
                process.Kill();
                process.WaitForExit();
                process.Dispose();
            }
        }
    }
}
