using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Reporting;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc bench report</c>: runs the whole suite once (lolfuzz, steady-N, slots, contended 1 and 2 threads) and
/// regenerates docs/benchmarks/results.md and the README's figures table from that run (docs/design-notes/0061).
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var tracesOption = new Option<DirectoryInfo>("--traces") { Description = "Folder with lolfuzz, steady-N and slots traces (python3 shared/tools/gen_traces.py traces).", DefaultValueFactory = _ => new DirectoryInfo("traces") };
        var passesOption = new Option<int>("--passes") { Description = "Timed passes per allocator and trace (median reported).", DefaultValueFactory = _ => 5 };
        var cappedPassesOption = new Option<int>("--capped-passes") { Description = "Timed passes for capped (O(n)-per-op) runs.", DefaultValueFactory = _ => 1 };
        var capOption = new Option<int>("--cap") { Description = "Ops of a steady-N trace replayed (then free-all) by allocators whose per-op cost grows with the free list.", DefaultValueFactory = _ => 200_000 };
        var pairsOption = new Option<int>("--contended-pairs") { Description = "Timed pairs per thread in the contended benchmark.", DefaultValueFactory = _ => 300_000 };
        var contendedPassesOption = new Option<int>("--contended-passes") { Description = "Passes of the contended benchmark (medians reported).", DefaultValueFactory = _ => 3 };
        var warmUpOption = new Option<int>("--warmup-ms") { Description = "Tier-up budget before the steady passes.", DefaultValueFactory = _ => ReplayOptions.DefaultWarmUpMilliseconds };
        var quickOption = new Option<bool>("--quick") { Description = "A fast smoke run: 3 passes, cap 50,000, 100,000 contended pairs, 1 contended pass (overrides those options)." };
        var resultsOption = new Option<FileInfo>("--results") { Description = "The results document to regenerate.", DefaultValueFactory = _ => new FileInfo("docs/benchmarks/results.md") };
        var readmeOption = new Option<FileInfo>("--readme") { Description = "The README whose figures table (between the bench-report markers) is regenerated.", DefaultValueFactory = _ => new FileInfo("README.md") };
        var noWriteOption = new Option<bool>("--no-write") { Description = "Measure and print, but write no file." };
        var jsonOption = new Option<bool>("--json") { Description = "Print the results as JSON on standard output (progress goes to standard error)." };
        var command = new Command("report", "Run the benchmark suite once and regenerate docs/benchmarks/results.md and the README's figures table from it.")
        {
            tracesOption, passesOption, cappedPassesOption, capOption, pairsOption, contendedPassesOption, warmUpOption, quickOption, resultsOption, readmeOption, noWriteOption, jsonOption,
        };
        command.SetAction(parseResult =>
        {
            bool quick = parseResult.GetValue(quickOption);
            var options = new SuiteOptions
            {
                Passes = quick ? 3 : parseResult.GetValue(passesOption),
                CappedPasses = parseResult.GetValue(cappedPassesOption),
                Cap = quick ? 50_000 : parseResult.GetValue(capOption),
                ContendedPairs = quick ? 100_000 : parseResult.GetValue(pairsOption),
                ContendedPasses = quick ? 1 : parseResult.GetValue(contendedPassesOption),
                Replay = new ReplayOptions(WarmUpMilliseconds: parseResult.GetValue(warmUpOption)),
            };
            if (options.Passes < 1 || options.CappedPasses < 1 || options.Cap < 1 || options.ContendedPairs < 1 || options.ContendedPasses < 1 || options.Replay.WarmUpMilliseconds < 0)
            {
                return CliErrors.BadArguments("--passes, --capped-passes, --cap, --contended-pairs and --contended-passes must be at least 1; --warmup-ms must not be negative.");
            }

            DirectoryInfo traces = parseResult.GetValue(tracesOption)!;
            string[] missing = [.. BenchSuite.RequiredTraces(options).Where(f => !File.Exists(Path.Combine(traces.FullName, f)))];
            if (missing.Length > 0)
            {
                return CliErrors.BadArguments($"'{traces.FullName}' lacks {string.Join(", ", missing)}; generate them with: python3 shared/tools/gen_traces.py {traces.FullName}");
            }

            FileInfo readme = parseResult.GetValue(readmeOption)!;
            bool write = !parseResult.GetValue(noWriteOption);
            if (write && (!readme.Exists || !File.ReadAllText(readme.FullName).Contains(ResultsReport.ReadmeBegin, StringComparison.Ordinal)))
            {
                return CliErrors.BadArguments($"'{readme.FullName}' has no generated figures region (a line '{ResultsReport.ReadmeBegin}'); run from the repository root, pass --readme, or --no-write.");
            }

            return Run(traces.FullName, options, parseResult.GetValue(resultsOption)!, readme, write, parseResult.GetValue(jsonOption), CommandLine(parseResult.Tokens.Select(t => t.Value)));
        });
        return command;
    }

    /// <summary>The stamp taken before a run: machine, date, commit, load.</summary>
    /// <param name="command">The command line that reproduces it.</param>
    /// <returns>The stamp; its load after is filled in when the run ends.</returns>
    public static RunStamp Stamp(string command)
    {
        string load = BenchSuite.Probe.LoadAverage();
        return new RunStamp(BenchSuite.Probe.Cpu(), Environment.ProcessorCount, DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            BenchSuite.Probe.Commit(Directory.GetCurrentDirectory()), load, load, RuntimeInformation.FrameworkDescription, command);
    }

    private static string CommandLine(IEnumerable<string> tokens) =>
        string.Join(' ', tokens.Select(t => t.Contains(' ', StringComparison.Ordinal) ? $"'{t}'" : t).Prepend("veralloc"));

    private static int Run(string traces, SuiteOptions options, FileInfo results, FileInfo readme, bool write, bool json, string command)
    {
        RunStamp stamp = Stamp(command);
        TextWriter progress = json ? Console.Error : Console.Out;
        progress.WriteLine($"bench report: {stamp.Cpu}, {stamp.Cores} CPUs, commit {stamp.Commit}, load average {stamp.LoadBefore}, {stamp.DateUtc} UTC");
        if (!GlibcBaseline.TryBuild(out _, out string unavailable))
        {
            progress.WriteLine($"note: the C baseline glibc is not measured: {unavailable}");
        }

        SuiteResults suite = BenchSuite.Run(traces, options, stamp, line => progress.WriteLine("  " + line));
        progress.WriteLine($"load average at the end: {suite.Stamp.LoadAfter}");
        if (json)
        {
            Console.Out.WriteLine(ResultsReport.Json(suite));
        }
        else
        {
            Console.Out.WriteLine(ResultsReport.ReadmeRegion(suite));
        }

        if (!suite.AllVerified)
        {
            // A timing from a run that failed verification is never published.
            return CliErrors.VerificationFailed("a measurement did not verify (see the FAILED lines); nothing was written.");
        }

        if (write)
        {
            try
            {
                Directory.CreateDirectory(results.DirectoryName!);
                File.WriteAllText(results.FullName, ResultsReport.Markdown(suite));
                File.WriteAllText(readme.FullName, ResultsReport.ReplaceReadmeRegion(File.ReadAllText(readme.FullName), ResultsReport.ReadmeRegion(suite)));
                progress.WriteLine($"wrote {results.FullName} and the figures table of {readme.FullName}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                return CliErrors.BadArguments($"cannot write the report: {e.Message}");
            }
        }

        return ExitCodes.Success;
    }
}
