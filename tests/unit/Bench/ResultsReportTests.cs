using System.Text.Json;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Reporting;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.Bench;

/// <summary>The report is rendered from a fixed results object, so every figure in it is checked against its source.</summary>
public sealed class ResultsReportTests
{
    private static readonly WarmUpOutcome s_steady = new(6, Steady: true, 0.01, 900);

    private static AllocatorFigures Figures(string allocator, double median, bool capped = false, string outcome = "verified") =>
        new(allocator, outcome == "verified" ? median : double.NaN, outcome == "verified" ? median * 0.9 : double.NaN, capped ? 1 : 5, 1000,
            outcome == "verified", outcome, capped, s_steady);

    private static readonly SuiteResults s_results = new(
        new RunStamp("Test CPU 9000", 2, "2026-11-29 06:00", "abc1234", "1.50 1.20 1.00", "1.70 1.30 1.00", ".NET 10.0.0", "veralloc bench report"),
        [
            new WorkloadFigures("lolfuzz", 1000, [Figures("native", 40), Figures("glibc", 20), Figures("freelist", 60), Figures("segfit", 30), Figures("linkedlist", 0, outcome: "out of memory")]),
            new WorkloadFigures("steady-100", 2000, [Figures("native", 12), Figures("glibc", 10), Figures("freelist", 45, capped: true), Figures("segfit", 30)]),
            new WorkloadFigures("steady-1000", 2000, [Figures("native", 15), Figures("glibc", 11), Figures("freelist", 220, capped: true), Figures("segfit", 45)]),
        ],
        [new SlotFigures(1000, 21.5, 0.99, 0.1, true, s_steady), new SlotFigures(0, 23.0, 0.897, 0.1, true, s_steady)],
        [new ContendedFigures("SlotAllocator", 1, 10e6, 0.99, true), new ContendedFigures("SlotAllocator", 2, 15e6, 0.98, true)],
        ["5 timed passes"]);

    [Fact]
    public void JsonHasOneObjectPerAllocatorWithMedianMinPassesAndVerdict()
    {
        using JsonDocument json = JsonDocument.Parse(ResultsReport.Json(s_results));
        JsonElement root = json.RootElement;

        Assert.Equal("Test CPU 9000", root.GetProperty("stamp").GetProperty("cpu").GetString());
        Assert.Equal("abc1234", root.GetProperty("stamp").GetProperty("commit").GetString());
        Assert.Equal("1.50 1.20 1.00", root.GetProperty("stamp").GetProperty("loadAverageBefore").GetString());
        JsonElement lolfuzz = root.GetProperty("workloads")[0];
        Assert.Equal("lolfuzz", lolfuzz.GetProperty("workload").GetString());
        JsonElement freelist = lolfuzz.GetProperty("allocators")[2];
        Assert.Equal("freelist", freelist.GetProperty("allocator").GetString());
        Assert.Equal(60, freelist.GetProperty("nsPerOpMedian").GetDouble());
        Assert.Equal(54, freelist.GetProperty("nsPerOpMin").GetDouble());
        Assert.Equal(5, freelist.GetProperty("passes").GetInt32());
        Assert.True(freelist.GetProperty("verified").GetBoolean());
        Assert.True(freelist.GetProperty("warmUp").GetProperty("steady").GetBoolean());
        JsonElement linkedList = lolfuzz.GetProperty("allocators")[4];
        Assert.Equal(JsonValueKind.Null, linkedList.GetProperty("nsPerOpMedian").ValueKind);
        Assert.Equal("out of memory", linkedList.GetProperty("outcome").GetString());
        Assert.Equal(0.897, root.GetProperty("slots")[1].GetProperty("sameKeyReuse").GetDouble());
        Assert.Equal(15e6, root.GetProperty("contended")[1].GetProperty("pairsPerSecond").GetDouble());
        Assert.True(root.GetProperty("allVerified").GetBoolean());
    }

    [Fact]
    public void MarkdownStampsTheRunAndDerivesEveryRatioFromIt()
    {
        string md = ResultsReport.Markdown(s_results);

        Assert.Contains("**Test CPU 9000, 2 logical CPUs**", md, StringComparison.Ordinal);
        Assert.Contains("**2026-11-29 06:00 UTC**, commit `abc1234`; load average 1.50 1.20 1.00 at the start, 1.70 1.30 1.00 at the end", md, StringComparison.Ordinal);
        Assert.Contains("| freelist | 60.0 | 54.0 | 3.00 | 1.50 | 5 | steady (6) | verified |", md, StringComparison.Ordinal);
        Assert.Contains("| linkedlist | – | – | – | – | 5 | steady (6) | out of memory |", md, StringComparison.Ordinal);
        Assert.Contains("| segfit | 30.0 | 45.0 | 1.5× |", md, StringComparison.Ordinal);      // spread across N
        Assert.Contains("| freelist | 45.0 † | 220.0 † | – |", md, StringComparison.Ordinal);   // capped: no spread
        Assert.Contains("| segfit | 3.00 | 4.09 |", md, StringComparison.Ordinal);               // ÷ glibc per N
        Assert.Contains("| 0 | 23.0 | 89.7 % | 10.0 % | steady (6) | yes |", md, StringComparison.Ordinal);
        Assert.Contains("| SlotAllocator | 10.0 | 15.0 | 1.50 | 99.0 % / 98.0 % |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", md, StringComparison.Ordinal);
    }

    [Fact]
    public void AWarmUpStoppedByItsCapIsSaidInTheTable()
    {
        var unsteady = new WarmUpOutcome(40, Steady: false, 0.084, 10_000);
        SuiteResults results = s_results with
        {
            Workloads = [new WorkloadFigures("lolfuzz", 1000, [Figures("glibc", 20) with { WarmUp = unsteady }])],
        };

        Assert.Contains("**not steady** (40 passes, last two 8.4 % apart)", ResultsReport.Markdown(results), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadmeRegionSummarisesTheRunBetweenItsMarkers()
    {
        string region = ResultsReport.ReadmeRegion(s_results);

        Assert.StartsWith(ResultsReport.ReadmeBegin, region, StringComparison.Ordinal);
        Assert.EndsWith(ResultsReport.ReadmeEnd + Environment.NewLine, region, StringComparison.Ordinal);
        Assert.Contains("glibc (C) 20.0 · native 40.0 (2.00×) · freelist 60.0 (3.00×) · segfit 30.0 (1.50×)", region, StringComparison.Ordinal);
        Assert.Contains("segfit 30.0 → 45.0 (1.5×)", region, StringComparison.Ordinal);
        Assert.Contains("| segfit ÷ glibc, steady-100 → steady-1000 | 3.00 · 4.09 |", region, StringComparison.Ordinal);
        Assert.Contains("SlotAllocator 10.0 / 15.0", region, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplacingTheRegionKeepsEverythingElseAndIsIdempotent()
    {
        string readme = $"# Title\n\nbefore\n{ResultsReport.ReadmeBegin}\nold figures\n{ResultsReport.ReadmeEnd}\nafter\n";
        string region = ResultsReport.ReadmeRegion(s_results);

        string once = ResultsReport.ReplaceReadmeRegion(readme, region);
        string twice = ResultsReport.ReplaceReadmeRegion(once, region);

        Assert.Equal($"# Title\n\nbefore\n{region}after\n", once);
        Assert.Equal(once, twice);
        Assert.DoesNotContain("old figures", once, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no markers at all\n")]
    [InlineData("<!-- bench-report:end -->\nthen\n<!-- bench-report:begin — generated by `veralloc bench report`; edits here are overwritten -->\n")]
    [InlineData("<!-- bench-report:begin — generated by `veralloc bench report`; edits here are overwritten -->\n<!-- bench-report:begin — generated by `veralloc bench report`; edits here are overwritten -->\n<!-- bench-report:end -->\n")]
    public void AReadmeWithoutOneOrderedPairOfMarkersIsRefused(string readme)
    {
        var error = Assert.Throws<ArgumentException>(() => ResultsReport.ReplaceReadmeRegion(readme, "x"));
        Assert.Contains("bench-report:begin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRepositoryReadmeHoldsTheGeneratedRegion()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));

        string replaced = ResultsReport.ReplaceReadmeRegion(readme, ResultsReport.ReadmeRegion(s_results));

        Assert.Contains("Test CPU 9000", replaced, StringComparison.Ordinal);
    }
}
