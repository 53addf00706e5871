namespace Veralloc.Tests.Unit.Cli;

/// <summary>
/// The <c>veralloc</c> program as a user runs it: a separate process, real arguments, exit codes and output.
/// README's main-job command is <c>veralloc test</c>; these keep it and its siblings honest.
/// </summary>
public sealed class CliEndToEndTests : IDisposable
{
    private readonly string _workDirectory = Directory.CreateTempSubdirectory("veralloc-cli-").FullName;

    public void Dispose() => Directory.Delete(_workDirectory, recursive: true);

    [Fact]
    public void TestPassesEveryBuiltInScenario()
    {
        CliRun run = Veralloc("test", "-n", "200");

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string scenario in new[] { "slots/alloc-free-2x3", "slots/alloc-free-keyed-3x3", "slots/affine-clear-vs-free", "slots/queries-vs-mutation", "slots/threshold-edge", "slots/exhaustion" })
        {
            Assert.True(run.Output.Contains(scenario, StringComparison.Ordinal), $"no row for {scenario}:\n{run}");
        }

        Assert.DoesNotContain("BUG", run.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_workDirectory, "traces-found")), "a passing run wrote a bug trace");
    }

    [Fact]
    public void MutantsAreAllFoundAndEachTraceReplaysToItsFailure()
    {
        string traces = Path.Combine(_workDirectory, "found");

        CliRun run = Veralloc("test", "--mutants", "-n", "2000", "--trace-dir", traces);

        Assert.True(run.ExitCode == 0, run.ToString());
        string[] files = Directory.GetFiles(traces, "*.trace");
        string[] minimised = Directory.GetFiles(traces, "*.min.trace");
        int mutants = global::Veralloc.Scenarios.ScenarioCatalog.Mutants.Count;
        Assert.True(files.Length == 2 * mutants && minimised.Length == mutants, $"expected one trace as found and one minimised per mutant ({mutants}), found {files.Length} traces, {minimised.Length} minimised:\n{run}");
        Assert.Contains("Fewest preemptions", run.Output, StringComparison.Ordinal);
        foreach (string file in files)
        {
            CliRun replay = Veralloc("replay", file);
            Assert.True(replay.ExitCode == 0, replay.ToString());
            Assert.Contains("Reproduced", replay.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ReplayMinimizeWritesTheMinimisedTraceBesideTheOriginalAndPrintsBothSizes()
    {
        string traces = Path.Combine(_workDirectory, "found");
        CliRun run = Veralloc("test", "-s", "mutant/check-then-act", "--strategy", "dfs", "--no-minimize", "--trace-dir", traces);
        Assert.True(run.ExitCode == 0, run.ToString());
        string found = Assert.Single(Directory.GetFiles(traces, "*.trace"));

        CliRun replay = Veralloc("replay", "--minimize", found);

        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Contains("Minimised: 23 steps, 20 decisions, 1 preemption -> 17 steps", replay.Output, StringComparison.Ordinal);
        string minimised = Path.ChangeExtension(found, ".min.trace");
        Assert.True(File.Exists(minimised), replay.ToString());
        CliRun again = Veralloc("replay", minimised);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Reproduced", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void DfsReportsThatTheSmallScenarioIsExhausted()
    {
        CliRun run = Veralloc("test", "--strategy", "dfs", "-s", "slots/affine-clear-vs-free", "-n", "10000");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("exhausted", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckDeterminismRerunsEveryScheduleWithoutFalseAlarms()
    {
        CliRun run = Veralloc("test", "--check-determinism", "--fair-after", "-1", "--handoff", "floating", "-n", "100");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("Nondeterminism", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("test --handoff sideways", "sideways")]
    [InlineData("test --strategy bogus", "bogus")]
    [InlineData("test -s nosuch", "Unknown scenario 'nosuch'")]
    [InlineData("test -n 0", "Iterations must be at least 1")]
    [InlineData("replay no-such.trace", "cannot read trace")]
    [InlineData("bench --trace no-such.trace", "cannot read trace")]
    public void BadArgumentsExitNonZeroAndSayWhy(string arguments, string reason)
    {
        CliRun run = Veralloc(arguments.Split(' '));

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.True(run.Output.Contains(reason, StringComparison.Ordinal), $"expected '{reason}' in:\n{run}");
    }

    [Fact]
    public void BenchReplaysATraceOnEveryAllocatorAndVerifiesTheEndState()
    {
        string trace = Path.Combine(_workDirectory, "small.trace");
        File.WriteAllText(trace, "a 0 10 8\na 1 100 64\nf 0\na 2 70000 4096\nf 1\nf 2\n");

        CliRun run = Veralloc("bench", "--trace", trace, "--passes", "1");

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string allocator in new[] { "native", "glibc", "freelist", "segfit", "linkedlist", "bump", "fixedblock" })
        {
            Assert.True(run.Output.Contains(allocator, StringComparison.Ordinal), $"no row for {allocator}:\n{run}");
        }

        Assert.Contains("yes", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchRejectsAMalformedTraceNamingTheLine()
    {
        string trace = Path.Combine(_workDirectory, "bad.trace");
        File.WriteAllText(trace, "a 0 10 8\nf 5\n");

        CliRun run = Veralloc("bench", "--trace", trace);

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains("bad.trace:2", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void HeapRunsTheWorkloadWithInvariantsAfterEveryOpAndEndsWithOneBlock()
    {
        CliRun run = Veralloc("heap", "--rounds", "2", "--steps", "200", "--check-every", "1");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("invariants checked every 1 op(s)", run.Output, StringComparison.Ordinal);
        Assert.Contains("the heap ends as one free block", run.Output, StringComparison.Ordinal);
    }

    private CliRun Veralloc(params string[] arguments) => CliProcess.Run(_workDirectory, arguments);
}
