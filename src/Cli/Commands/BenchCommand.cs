using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Veralloc.Allocators.Slots;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Reporting;
using Veralloc.Bench.Traces;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc bench --trace FILE</c>: replays one trace against registered allocators (or, for a slot trace,
/// the slot allocator at thresholds 1000 and 0) and prints ns/op with ratios. Subcommands: <c>scaling</c>, <c>micro</c>,
/// <c>handoff</c>, <c>contended</c>.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var traceOption = new Option<FileInfo?>("--trace") { Description = "The trace to replay (generate with: python3 shared/tools/gen_traces.py traces)." };
        var allocatorOption = new Option<string>("--allocator") { Description = $"An allocator name ({KnownNames}) or 'all'.", DefaultValueFactory = _ => "all" };
        var passesOption = new Option<int>("--passes") { Description = "Timed passes (the median is reported), after one warm-up.", DefaultValueFactory = _ => 5 };
        var checkOption = new Option<int>("--check") { Description = "In the untimed warm-up, call CheckInvariants every K ops (0 = only at the end).", DefaultValueFactory = _ => 0 };
        var slotsOption = new Option<bool>("--slots") { Description = "The trace is a slot trace (s/r ops): replay it on SlotAllocator with thresholds 1000 and 0." };
        var capacityOption = new Option<int>("--capacity") { Description = "Slot pool capacity for --slots.", DefaultValueFactory = _ => 1000 };
        var maxOpsOption = new Option<int>("--max-ops") { Description = "Replay only the first N ops, then free what is live (0 = whole trace).", DefaultValueFactory = _ => 0 };
        var jsonOption = new Option<bool>("--json") { Description = "Print the results as JSON on standard output (the same schema as 'bench report --json'); progress goes to standard error." };

        var command = new Command("bench", "Replay a trace against allocators and compare ns/op.")
        {
            traceOption, allocatorOption, passesOption, checkOption, slotsOption, capacityOption, maxOpsOption, jsonOption,
        };
        command.Subcommands.Add(ScalingCommand.Create());
        command.Subcommands.Add(MicroCommand.Create());
        command.Subcommands.Add(HandoffBenchCommand.Create());
        command.Subcommands.Add(ContendedCommand.Create());
        command.Subcommands.Add(ReportCommand.Create());
        command.SetAction(parseResult =>
        {
            FileInfo? traceFile = parseResult.GetValue(traceOption);
            int passes = parseResult.GetValue(passesOption);
            int checkEvery = parseResult.GetValue(checkOption);
            int maxOps = parseResult.GetValue(maxOpsOption);
            if (traceFile is null)
            {
                return CliErrors.BadArguments("--trace FILE is required (or use 'bench scaling' / 'bench micro').");
            }

            if (passes < 1 || checkEvery < 0 || maxOps < 0)
            {
                return CliErrors.BadArguments("--passes must be at least 1; --check and --max-ops must not be negative.");
            }

            TextWriter? json = null;
            if (parseResult.GetValue(jsonOption))
            {
                // Tables and progress move to standard error, so standard output holds the JSON document alone.
                json = Console.Out;
                AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            }

            RunStamp stamp = ReportCommand.Stamp(string.Join(' ', parseResult.Tokens.Select(t => t.Value).Prepend("veralloc")));
            ParsedTrace? trace = CliErrors.LoadTrace(traceFile.FullName);
            if (trace is null)
            {
                return ExitCodes.BadInput;
            }

            bool slots = parseResult.GetValue(slotsOption);
            if (slots != (trace.Kind == TraceKind.Slot))
            {
                return CliErrors.BadArguments(slots
                    ? $"--slots needs a slot trace (s/r ops); '{trace.Name}' is an allocation trace."
                    : $"'{trace.Name}' is a slot trace: add --slots.");
            }

            if (slots)
            {
                int capacity = parseResult.GetValue(capacityOption);
                return capacity is < 1 or > SlotAllocator.MaxCapacity
                    ? CliErrors.BadArguments($"--capacity must be between 1 and {SlotAllocator.MaxCapacity}.")
                    : RunSlots(trace, capacity, passes, checkEvery, json, stamp);
            }

            string name = parseResult.GetValue(allocatorOption) ?? "all";
            List<AllocatorEntry> entries;
            bool glibc = false;
            if (string.Equals(name, "all", StringComparison.OrdinalIgnoreCase))
            {
                entries = [.. AllocatorRegistry.All];
                glibc = true;
            }
            else if (string.Equals(name, GlibcBaseline.Name, StringComparison.OrdinalIgnoreCase))
            {
                entries = [];
                glibc = true;
            }
            else if (AllocatorRegistry.Find(name) is { } entry)
            {
                entries = [entry];
            }
            else
            {
                return CliErrors.BadArguments($"unknown allocator '{name}'; known: {KnownNames}, all.");
            }

            // Capped first: --max-ops appends the frees of whatever is live, which is what makes a prefix replayable.
            if (maxOps > 0)
            {
                trace = trace.Capped(maxOps);
            }

            if (!trace.EndsEmpty)
            {
                // Only an uncapped trace gets here (a capped one ends empty), so any N below its length is advice that works.
                return CliErrors.BadArguments($"'{trace.Name}' leaves {trace.LiveBlocksAtEnd} blocks live at its end; the harness needs a trace that frees everything (or --max-ops N with N below its {trace.OpCount} ops, which replays the first N ops and then frees what is live).");
            }

            return RunAllocators(trace, entries, glibc, new ReplayOptions(passes, checkEvery), json, stamp);
        });
        return command;
    }

    private static string KnownNames => string.Join(", ", AllocatorRegistry.All.Select(a => a.Name).Prepend(GlibcBaseline.Name));

    private static int RunAllocators(ParsedTrace trace, IReadOnlyList<AllocatorEntry> entries, bool glibc, ReplayOptions options, TextWriter? json, RunStamp stamp)
    {
        AnsiConsole.MarkupLine($"[bold]bench[/]: {Markup.Escape(InputText.Escape(trace.Name))}: {trace.OpCount:N0} ops ({trace.AllocCount:N0} allocs + {trace.FreeCount:N0} frees), peak {trace.PeakLiveBlocks:N0} live blocks; warm-up + {options.Passes} timed passes, median reported");
        var results = new List<ReplayResult>();
        foreach (AllocatorEntry slow in entries.Where(e => e.LinearPerOp && trace.PeakLiveBlocks >= 10_000))
        {
            AnsiConsole.MarkupLine($"[yellow]note[/]: {slow.Name} costs O(free blocks) per op and this trace keeps {trace.PeakLiveBlocks:N0} blocks live: expect minutes per pass (--max-ops bounds it).");
        }

        foreach (AllocatorEntry entry in entries)
        {
            AnsiConsole.MarkupLine($"  replaying [bold]{entry.Name}[/]…");
            using ReplaySubject subject = entry.Create();
            results.Add(AllocationReplayer.Run(trace, subject, options));
            if (glibc && entry.Name == AllocatorRegistry.Native)
            {
                results.Add(RunGlibc(trace, options));
            }
        }

        if (glibc && !results.Any(r => r.Allocator == GlibcBaseline.Name))
        {
            results.Add(RunGlibc(trace, options));
        }

        ReplayResult? native = results.FirstOrDefault(r => r.Allocator == AllocatorRegistry.Native && r.Succeeded);
        ReplayResult? glibcResult = results.FirstOrDefault(r => r.Allocator == GlibcBaseline.Name && r.Succeeded);
        ReplayResult? freeList = results.FirstOrDefault(r => r.Allocator == AllocatorRegistry.FreeList && r.Succeeded);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("allocator", "median ms", "min–max ms", "ns/op", "× native", "× glibc", "× freelist", "managed B in timed passes", "warm-up", "verified");
        foreach (ReplayResult result in results)
        {
            table.AddRow(
                result.Allocator,
                result.Succeeded ? F(result.MedianMilliseconds, "F1") : "–",
                result.Succeeded ? $"{F(result.PassMilliseconds.Min(), "F1")}–{F(result.PassMilliseconds.Max(), "F1")}" : "–",
                result.Succeeded ? F(result.NanosecondsPerOp, "F1") : "–",
                Ratio(result, native),
                Ratio(result, glibcResult),
                Ratio(result, freeList),
                result.Allocator == GlibcBaseline.Name ? "–" : result.ManagedBytesAllocatedInTimedPasses.ToString("N0", CultureInfo.InvariantCulture),
                result.Succeeded ? WarmUpCell(result.WarmUp) : "–",
                result.Succeeded ? "[green]yes[/]" : result.OutOfMemory ? "[yellow]out of memory[/]" : result.Unavailable ? "[yellow]not measured[/]" : "[red]FAILED[/]");
        }

        AnsiConsole.Write(table);
        json?.WriteLine(ResultsReport.Json(new SuiteResults(stamp with { LoadAfter = BenchSuite.Probe.LoadAverage() },
            [new WorkloadFigures(Path.GetFileNameWithoutExtension(trace.Name), trace.OpCount, [.. results.Select(r => AllocatorFigures.From(r))])], [], [],
            [$"{options.Passes} timed passes, warm-up until two successive passes are within {options.SteadyTolerance:P0}; --check {options.CheckEvery}"])));
        AnsiConsole.MarkupLine("[dim]× native = this allocator's ns/op ÷ the process allocator's (called through NativeMemory) on the same op sequence (lower is faster); × glibc = the same ÷ posix_memalign/free called from C. Verified = invariants hold and the allocator is empty after every pass. Warm-up = untimed passes until two successive ones are within 3 % (docs/design-notes/0061).[/]");
        foreach (ReplayResult unavailable in results.Where(r => r.Unavailable))
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(unavailable.Allocator)}[/]: {Markup.Escape(unavailable.Failure ?? string.Empty)}");
        }

        foreach (ReplayResult stopped in results.Where(r => r.OutOfMemory))
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(stopped.Allocator)} cannot run this trace[/] (a legal outcome, not a verification failure): {Markup.Escape(stopped.Failure ?? string.Empty)}");
        }

        foreach (ReplayResult failed in results.Where(r => r.FailedVerification))
        {
            CliErrors.VerificationFailed($"{failed.Allocator}: {failed.Failure}");
        }

        // An allocator that cannot fit the trace is a legal outcome while another measured it; when none could, there is
        // no comparison at all, and the exit code says so as heap's does.
        return results.Any(r => r.FailedVerification) ? ExitCodes.BugFound
            : results.All(r => r.Unavailable) ? CliErrors.BadArguments($"nothing could be measured on this machine: {string.Join("; ", results.Select(r => r.Failure))}")
            : results.All(r => r.OutOfMemory || r.Unavailable) ? CliErrors.OutOfMemory($"no allocator could run '{trace.Name}' to its end.")
            : ExitCodes.Success;
    }

    private static ReplayResult RunGlibc(ParsedTrace trace, ReplayOptions options)
    {
        AnsiConsole.MarkupLine($"  replaying [bold]{GlibcBaseline.Name}[/] (C, posix_memalign/free)…");
        return GlibcBaseline.Run(trace, options);
    }

    private static int RunSlots(ParsedTrace trace, int capacity, int passes, int checkEvery, TextWriter? json, RunStamp stamp)
    {
        int keys = trace.Ops.Where(op => op.Kind == TraceOpKind.SlotAlloc && op.Id >= 0).Select(op => op.Id).Distinct().Count();
        AnsiConsole.MarkupLine($"[bold]bench --slots[/]: {Markup.Escape(InputText.Escape(trace.Name))}: {trace.OpCount:N0} ops, {keys} keys, capacity {capacity}; warm-up + {passes} timed passes on fresh pools, median reported");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("maxUnusedWarm", "ns/op", "allocations", "refused (full)", "same-key reuse", "chance (1/keys)", "verified");
        bool ok = true;
        var figures = new List<SlotFigures>();
        foreach (int threshold in new[] { capacity, 0 })
        {
            SlotReplayResult result = SlotReplayer.Run($"slots(threshold {threshold})", trace,
                () => new SlotAllocatorPool(new SlotAllocator(capacity, threshold)), passes, checkEvery);
            ok &= result.Succeeded;
            figures.Add(new SlotFigures(threshold, result.Succeeded ? result.NanosecondsPerOp : double.NaN, result.Stats.SameKeyReuseRate,
                keys == 0 ? double.NaN : 1.0 / keys, result.Succeeded, result.WarmUp));
            table.AddRow(
                threshold.ToString(CultureInfo.InvariantCulture),
                result.Succeeded ? F(result.NanosecondsPerOp, "F1") : "–",
                result.Stats.Allocations.ToString("N0", CultureInfo.InvariantCulture),
                result.Stats.Refusals.ToString("N0", CultureInfo.InvariantCulture),
                result.Succeeded ? $"{result.Stats.SameKeyReuseRate:P1} ({result.Stats.SameKeyReuses:N0}/{result.Stats.KeyedAllocations:N0})" : "–",
                keys == 0 ? "–" : $"{1.0 / keys:P1}",
                result.Succeeded ? "[green]yes[/]" : "[red]FAILED[/]");
            if (!result.Succeeded)
            {
                CliErrors.VerificationFailed($"{result.Pool}: {result.Failure}");
            }
        }

        AnsiConsole.Write(table);
        json?.WriteLine(ResultsReport.Json(new SuiteResults(stamp with { LoadAfter = BenchSuite.Probe.LoadAverage() }, [], figures, [],
            [$"{passes} timed passes on fresh pools of capacity {capacity}"])));
        AnsiConsole.MarkupLine("[dim]same-key reuse = keyed allocations that got a slot last used with the same key. SEED §3 expects more than twice chance at threshold = capacity.[/]");
        return ok ? ExitCodes.Success : ExitCodes.BugFound;
    }

    private static string WarmUpCell(WarmUpOutcome warmUp) =>
        double.IsNaN(warmUp.LastDifference) && warmUp.Passes == 1 ? "1 pass"
        : double.IsNaN(warmUp.LastDifference) ? $"[yellow]NOT steady[/] (one pass outlasted the cap)"
        : warmUp.Steady ? $"steady, {warmUp.Passes} passes"
        : $"[yellow]NOT steady[/] (cap; last two {F(warmUp.LastDifference * 100, "F1")} % apart)";

    private static string Ratio(ReplayResult result, ReplayResult? baseline) =>
        result.Succeeded && baseline is not null && baseline.NanosecondsPerOp > 0
            ? F(result.NanosecondsPerOp / baseline.NanosecondsPerOp, "F2")
            : "–";

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
