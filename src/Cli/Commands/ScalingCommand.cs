using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Reporting;
using Veralloc.Bench.Traces;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc bench scaling --traces DIR</c>: ns/op of every allocator on steady-100..100000 (O(n) allocators
/// capped), fragmentation on lolfuzz, written to scaling.md and scaling.svg.
/// </summary>
public static class ScalingCommand
{
    private static readonly int[] s_liveBlockCounts = [100, 1000, 10000, 100000];

    public static Command Create()
    {
        var tracesOption = new Option<DirectoryInfo>("--traces") { Description = "Folder with steady-*.trace and lolfuzz.trace (python3 shared/tools/gen_traces.py traces).", DefaultValueFactory = _ => new DirectoryInfo("traces") };
        var passesOption = new Option<int>("--passes") { Description = "Timed passes per cell (median reported).", DefaultValueFactory = _ => 3 };
        var cappedPassesOption = new Option<int>("--capped-passes") { Description = "Timed passes for capped (O(n)-per-op) runs, which take seconds each.", DefaultValueFactory = _ => 1 };
        var capOption = new Option<int>("--cap") { Description = "Ops replayed (then free-all) for allocators whose per-op cost grows with the free list.", DefaultValueFactory = _ => 200_000 };
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Where scaling.md and scaling.svg are written.", DefaultValueFactory = _ => new DirectoryInfo("docs/benchmarks") };
        var machineOption = new Option<string>("--machine") { Description = "Machine description recorded in scaling.md.", DefaultValueFactory = _ => "2-core CI-class VM, shared with other builds — noisy" };
        var dateOption = new Option<string>("--date") { Description = "Date recorded in scaling.md.", DefaultValueFactory = _ => DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        var command = new Command("scaling", "ns/op against live blocks (steady-N) and fragmentation (lolfuzz) for every allocator; writes scaling.md and scaling.svg.")
        {
            tracesOption, passesOption, cappedPassesOption, capOption, outOption, machineOption, dateOption,
        };
        command.SetAction(parseResult =>
        {
            DirectoryInfo traces = parseResult.GetValue(tracesOption)!;
            int passes = parseResult.GetValue(passesOption);
            int cappedPasses = parseResult.GetValue(cappedPassesOption);
            int cap = parseResult.GetValue(capOption);
            if (passes < 1 || cappedPasses < 1 || cap < 1)
            {
                return CliErrors.BadArguments("--passes, --capped-passes and --cap must be at least 1.");
            }

            string[] missing = [.. s_liveBlockCounts.Select(n => $"steady-{n}.trace").Append("lolfuzz.trace").Where(f => !File.Exists(Path.Combine(traces.FullName, f)))];
            if (missing.Length > 0)
            {
                return CliErrors.BadArguments($"'{traces.FullName}' lacks {string.Join(", ", missing)}; generate them with: python3 shared/tools/gen_traces.py {traces.FullName}");
            }

            return Run(traces.FullName, passes, cappedPasses, cap, parseResult.GetValue(outOption)!.FullName,
                parseResult.GetValue(machineOption)!, parseResult.GetValue(dateOption)!);
        });
        return command;
    }

    private static int Run(string tracesDirectory, int passes, int cappedPasses, int cap, string outDirectory, string machine, string date)
    {
        var points = new List<ScalingPoint>();
        var failures = new List<string>();
        foreach (int n in s_liveBlockCounts)
        {
            ParsedTrace? full = CliErrors.LoadTrace(Path.Combine(tracesDirectory, $"steady-{n}.trace"));
            if (full is null)
            {
                return ExitCodes.BadInput;
            }

            foreach (AllocatorEntry entry in AllocatorRegistry.All)
            {
                bool capped = entry.LinearPerOp && full.OpCount > cap;
                ParsedTrace trace = capped ? full.Capped(cap) : full;
                using ReplaySubject subject = entry.Create();
                ReplayResult result = AllocationReplayer.Run(trace, subject, new ReplayOptions(capped ? cappedPasses : passes));
                points.Add(new ScalingPoint(entry.Name, n, result.NanosecondsPerOp, trace.OpCount, capped));
                AnsiConsole.MarkupLine($"  steady-{n,-6} {entry.Name,-10} {(result.Succeeded ? result.NanosecondsPerOp.ToString("F1", CultureInfo.InvariantCulture) + " ns/op" : result.OutOfMemory ? "[yellow]out of memory[/]" : "[red]FAILED[/]")}{(capped ? $" (capped: {trace.OpCount:N0} ops)" : string.Empty)}");
                if (result.FailedVerification)
                {
                    failures.Add($"{entry.Name} on steady-{n}: {result.Failure}");
                }

                if (entry.Name == AllocatorRegistry.Native)
                {
                    ReplayResult glibc = GlibcBaseline.Run(full, new ReplayOptions(passes));
                    points.Add(new ScalingPoint(GlibcBaseline.Name, n, glibc.NanosecondsPerOp, full.OpCount, Capped: false));
                    AnsiConsole.MarkupLine($"  steady-{n,-6} {GlibcBaseline.Name,-10} {(glibc.Succeeded ? glibc.NanosecondsPerOp.ToString("F1", CultureInfo.InvariantCulture) + " ns/op" : glibc.Unavailable ? "[yellow]not measured[/]: " + Markup.Escape(glibc.Failure ?? string.Empty) : "[red]FAILED[/]")}");
                    if (glibc.FailedVerification)
                    {
                        failures.Add($"{GlibcBaseline.Name} on steady-{n}: {glibc.Failure}");
                    }
                }
            }
        }

        var fragmentation = new List<FragmentationPoint>();
        var notes = new List<string>();
        ParsedTrace? lolfuzz = CliErrors.LoadTrace(Path.Combine(tracesDirectory, "lolfuzz.trace"));
        if (lolfuzz is null)
        {
            return ExitCodes.BadInput;
        }

        foreach (AllocatorEntry entry in AllocatorRegistry.All)
        {
            using ReplaySubject subject = entry.Create();
            if (subject.FreeSpace is null)
            {
                continue;
            }

            (FragmentationPoint? point, string? failure) = MeasureFragmentation(lolfuzz, subject);
            if (point is { } measured)
            {
                fragmentation.Add(measured);
                AnsiConsole.MarkupLine($"  lolfuzz      {entry.Name,-10} largest÷free (interior) at peak {measured.AtPeak.LargestFreeShare:F3} ({measured.AtPeak.InteriorLargestFreeShare:F3}), at end of last round {measured.AtLastRoundEnd.LargestFreeShare:F3} ({measured.AtLastRoundEnd.InteriorLargestFreeShare:F3})");
            }
            else if (AllocationReplayer.IsOutOfMemory(failure))
            {
                AnsiConsole.MarkupLine($"  lolfuzz      {entry.Name,-10} [yellow]not measurable[/]: {Markup.Escape(failure)}");
                notes.Add($"{entry.Name}: {failure}");
            }
            else
            {
                failures.Add($"{entry.Name} on lolfuzz: {failure}");
            }
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("allocator");
        foreach (int n in s_liveBlockCounts)
        {
            table.AddColumn(new TableColumn($"steady-{n}").RightAligned());
        }

        foreach (string allocator in points.Select(p => p.Allocator).Distinct())
        {
            table.AddRow([allocator, .. s_liveBlockCounts.Select(n => points.First(p => p.Allocator == allocator && p.LiveBlocks == n)).Select(p =>
                double.IsNaN(p.NanosecondsPerOp) ? "failed" : p.NanosecondsPerOp.ToString("F1", CultureInfo.InvariantCulture) + (p.Capped ? " †" : string.Empty))]);
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[dim]ns/op, median of {passes} passes ({cappedPasses} for † cells). † = first {cap:N0} ops + free-all only (O(n) per op).[/]");

        Directory.CreateDirectory(outDirectory);
        File.WriteAllText(Path.Combine(outDirectory, "scaling.md"), ScalingReport.Markdown(points, fragmentation, machine, date, passes, cap, notes, cappedPasses));
        File.WriteAllText(Path.Combine(outDirectory, "scaling.svg"), ScalingReport.Svg(points, $"Allocation + free cost vs live blocks ({date})"));
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDirectory, "scaling.md"))} and scaling.svg");

        foreach (string failure in failures)
        {
            CliErrors.VerificationFailed(failure);
        }

        return failures.Count == 0 ? ExitCodes.Success : ExitCodes.BugFound;
    }

    /// <summary>Replays lolfuzz with snapshots after the peak-live-bytes op and after the last allocation, then verifies the end state.</summary>
    private static (FragmentationPoint? Point, string? Failure) MeasureFragmentation(ParsedTrace trace, ReplaySubject subject)
    {
        var offsets = new long[trace.IdCapacity];
        int peakEnd = trace.PeakLiveBytesOpIndex + 1;
        int lastRoundEnd = trace.LastAllocOpIndex + 1;
        string? failure = AllocationReplayer.ReplayChecked(trace, subject, offsets, 0, peakEnd, 0, "lolfuzz to peak");
        if (failure is not null)
        {
            return (null, failure);
        }

        FreeSpaceSnapshot atPeak = subject.FreeSpace!();
        failure = AllocationReplayer.ReplayChecked(trace, subject, offsets, peakEnd, lastRoundEnd, 0, "lolfuzz to last round end");
        if (failure is not null)
        {
            return (null, failure);
        }

        FreeSpaceSnapshot atLastRoundEnd = subject.FreeSpace!();
        failure = AllocationReplayer.ReplayChecked(trace, subject, offsets, lastRoundEnd, trace.OpCount, 0, "lolfuzz to end")
            ?? AllocationReplayer.EndStateProblem(subject, "lolfuzz end");
        return failure is null ? (new FragmentationPoint(subject.Name, atPeak, atLastRoundEnd), null) : (null, failure);
    }
}
