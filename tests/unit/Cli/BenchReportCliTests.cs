using System.Text;
using System.Text.Json;
using Veralloc.Bench.Reporting;

namespace Veralloc.Tests.Unit.Cli;

/// <summary>
/// <c>bench report</c> and <c>bench --json</c> end to end on tiny traces: the suite runs, the JSON parses, and the two
/// files are regenerated from the run (the rendering itself is checked in ResultsReportTests).
/// </summary>
public sealed class BenchReportCliTests : IDisposable
{
    private readonly string _workDirectory = Directory.CreateTempSubdirectory("veralloc-report-").FullName;

    public void Dispose() => Directory.Delete(_workDirectory, recursive: true);

    [Fact]
    public void ReportRunsTheSuiteOnceAndRegeneratesResultsAndTheReadmeRegion()
    {
        string traces = Path.Combine(_workDirectory, "traces");
        Directory.CreateDirectory(traces);
        foreach (string name in new[] { "lolfuzz", "steady-100", "steady-1000", "steady-10000", "steady-100000" })
        {
            File.WriteAllText(Path.Combine(traces, $"{name}.trace"), "a 0 10 8\na 1 100 64\nf 0\na 2 300 16\nf 1\nf 2\n");
        }

        File.WriteAllText(Path.Combine(traces, "slots.trace"), "s 1\ns 2\nr 0\ns 1\nr 1\nr 0\n");
        string readme = Path.Combine(_workDirectory, "README.md");
        string results = Path.Combine(_workDirectory, "results.md");
        File.WriteAllText(readme, $"# Title\n{ResultsReport.ReadmeBegin}\nold\n{ResultsReport.ReadmeEnd}\ntail\n");

        CliRun run = CliProcess.Run(_workDirectory, "bench", "report", "--traces", traces, "--readme", readme, "--results", results,
            "--passes", "1", "--warmup-ms", "0", "--contended-pairs", "500", "--contended-passes", "1", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using JsonDocument json = FirstJsonValue(run.Output);
        JsonElement workloads = json.RootElement.GetProperty("workloads");
        Assert.Equal(["lolfuzz", "steady-100", "steady-1000", "steady-10000", "steady-100000"], workloads.EnumerateArray().Select(w => w.GetProperty("workload").GetString()));
        Assert.All(workloads.EnumerateArray(), w => Assert.Contains(w.GetProperty("allocators").EnumerateArray(), a => a.GetProperty("allocator").GetString() == "glibc"));
        Assert.Equal(2, json.RootElement.GetProperty("slots").GetArrayLength());
        Assert.Contains(json.RootElement.GetProperty("contended").EnumerateArray(), c => c.GetProperty("threads").GetInt32() == 2);
        string commit = json.RootElement.GetProperty("stamp").GetProperty("commit").GetString()!;
        string writtenReadme = File.ReadAllText(readme);
        Assert.StartsWith("# Title\n" + ResultsReport.ReadmeBegin, writtenReadme, StringComparison.Ordinal);
        Assert.EndsWith(ResultsReport.ReadmeEnd + "\ntail\n", writtenReadme, StringComparison.Ordinal);
        Assert.DoesNotContain("\nold\n", writtenReadme, StringComparison.Ordinal);
        Assert.Contains($"commit `{commit}`", File.ReadAllText(results), StringComparison.Ordinal);
    }

    [Fact]
    public void ReportRefusesAReadmeWithoutTheRegionBeforeMeasuringAnything()
    {
        string traces = Path.Combine(_workDirectory, "traces");
        Directory.CreateDirectory(traces);
        foreach (string name in BenchSuite.RequiredTraces(new SuiteOptions()))
        {
            File.WriteAllText(Path.Combine(traces, name), "a 0 10 8\nf 0\n");
        }

        string readme = Path.Combine(_workDirectory, "README.md");
        File.WriteAllText(readme, "# no markers\n");

        CliRun run = CliProcess.Run(_workDirectory, "bench", "report", "--traces", traces, "--readme", readme);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("no generated figures region", run.Output, StringComparison.Ordinal);
        Assert.Equal("# no markers\n", File.ReadAllText(readme));
    }

    [Fact]
    public void BenchJsonPrintsOneObjectPerAllocatorOnStandardOutput()
    {
        string trace = Path.Combine(_workDirectory, "small.trace");
        File.WriteAllText(trace, "a 0 10 8\na 1 100 64\nf 0\nf 1\n");

        CliRun run = CliProcess.Run(_workDirectory, "bench", "--trace", trace, "--passes", "2", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using JsonDocument json = FirstJsonValue(run.Output);
        JsonElement allocators = json.RootElement.GetProperty("workloads")[0].GetProperty("allocators");
        JsonElement native = allocators[0];
        Assert.Equal("native", native.GetProperty("allocator").GetString());
        Assert.Equal(2, native.GetProperty("passes").GetInt32());
        Assert.True(native.GetProperty("verified").GetBoolean());
        Assert.True(native.GetProperty("nsPerOpMin").GetDouble() <= native.GetProperty("nsPerOpMedian").GetDouble());
        Assert.Equal("glibc", allocators[1].GetProperty("allocator").GetString());
    }

    // Standard output comes first in CliRun.Output; the JSON document is all of it, and progress follows from standard error.
    private static JsonDocument FirstJsonValue(string output)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(output));
        return JsonDocument.ParseValue(ref reader);
    }
}
