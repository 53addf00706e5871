using System.Text;
using Veralloc.Cli.Commands;

namespace Veralloc.Tests.Unit.Cli;

/// <summary>
/// The <c>veralloc</c> program against malformed and hostile input, run as a process: every bad file ends with exit code
/// <see cref="ExitCodes.BadInput"/> and a <c>file:line: problem</c> message, nothing sized from the file is allocated
/// before it is checked, control bytes are shown escaped, and every command maps its outcome to the one exit-code table.
/// </summary>
public sealed class CliHostileInputTests : IDisposable
{
    // Every stack frame .NET prints starts like this; an input error must never show one.
    private const string StackFrame = "   at ";

    private readonly string _workDirectory = Directory.CreateTempSubdirectory("veralloc-cli-hostile-").FullName;

    public void Dispose() => Directory.Delete(_workDirectory, recursive: true);

    public static TheoryData<string, string, int, string> MalformedAllocationTraces => new()
    {
        { "heap", "a 2147483647 10 8\nf 2147483647\n", 1, "Block id must be between 0 and 16777215, got 2147483647" },
        { "bench", "a 2147483647 10 8\nf 2147483647\n", 1, "Block id must be between 0 and 16777215, got 2147483647" },
        { "bench", "a 0 8 8\na 2147483646 10 8\n", 2, "Block id must be between 0 and 16777215, got 2147483646" },
        { "bench", "a 0 10 1073741824\nf 0\n", 1, "Alignment must be a power of two between 1 and 65536, got 1073741824" },
        { "bench", "a 0 2000000000 8\nf 0\n", 1, "Size must be between 1 and 1073741824, got 2000000000" },
        { "bench", "a 0 8 8\n\nf 1\n", 3, "Block id 1 is freed but is not live" },
        { "bench", "# nothing\n", 1, "the trace has no operations" },
        { "heap", "a 0 8\n", 1, "expected 'a ID SIZE ALIGN'" },
    };

    [Theory]
    [MemberData(nameof(MalformedAllocationTraces))]
    public void AMalformedAllocationTraceIsBadInputNamingFileAndLine(string command, string text, int line, string problem)
    {
        string trace = Write("bad.trace", text);

        CliRun run = Veralloc(command, "--trace", trace);

        AssertBadInput(run, $"bad.trace:{line}: {problem}");
    }

    [Theory]
    [InlineData("strategy pct\nschedule 0*2147483647\n", 3, "bad schedule token '0*2147483647': the schedule would hold more than 10000000 decisions")]
    [InlineData("strategy pct\ndecisions 4\nschedule 0*4000000\n", 4, "bad schedule token '0*4000000': the schedule would hold more than the 4 decisions the trace declares")]
    [InlineData("strategy pct\nschedule 0\nbogus line\n", 4, "unknown trace line 'bogus line'")]
    [InlineData("strategy pct\nmax-steps 0\nschedule 0\n", 3, "max-steps 0 must be positive")]
    [InlineData("schedule 0\n", 2, "the trace has no 'strategy' line")]
    public void AMalformedScheduleTraceIsBadInputNamingFileAndLine(string body, int line, string problem)
    {
        string trace = Write("bad.trace", "veralloc-trace 2\n" + body);

        CliRun run = Veralloc("replay", trace);

        AssertBadInput(run, $"bad.trace:{line}: {problem}");
    }

    [Fact]
    public void AShortTraceAskingForTwoBillionDecisionsIsRejectedWithoutExpanding()
    {
        string text = "veralloc-trace 2\nstrategy pct\nseed 0\niteration 0\nscenario slots/alloc-free-2x3\nmax-steps 10000\nfair-after 1000\nschedule 0*2147483647\n";
        string trace = Write("huge.trace", text);

        CliRun run = Veralloc("replay", trace);

        AssertBadInput(run, "huge.trace:8: bad schedule token '0*2147483647'");
        Assert.DoesNotContain("OutOfMemory", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayReportsDecisionsLeftUnusedAsDivergenceEvenWhenTheBugReproduces()
    {
        string found = MutantTrace();
        string[] lines = File.ReadAllLines(found);

        // Printed reports carry the trace without its points, so such a trace is what a user most often replays.
        var padded = lines.Where(line => !line.StartsWith("p ", StringComparison.Ordinal) && !line.StartsWith("v ", StringComparison.Ordinal) && !line.StartsWith("points ", StringComparison.Ordinal))
            .Select(line => line.StartsWith("schedule ", StringComparison.Ordinal) ? line + " 0 0 0"
                : line.StartsWith("decisions ", StringComparison.Ordinal) ? $"decisions {int.Parse(line["decisions ".Length..], System.Globalization.CultureInfo.InvariantCulture) + 3}"
                : line);
        string trace = Write("padded.trace", string.Join('\n', padded) + "\n");

        CliRun faithful = Veralloc("replay", found);
        CliRun run = Veralloc("replay", trace);

        Assert.True(faithful.ExitCode == ExitCodes.Success, faithful.ToString());
        Assert.DoesNotContain("Replay divergence", faithful.Output, StringComparison.Ordinal);
        Assert.True(run.ExitCode == ExitCodes.BugFound, run.ToString());
        Assert.Contains("Reproduced, but the trace diverges: InvariantViolation", run.Output, StringComparison.Ordinal);
        Assert.Contains("Replay divergence: the trace holds 3 decisions the run did not use.", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void DecisionsAppendedBeyondTheRecordedPointsAreBadInput()
    {
        string found = MutantTrace();
        string text = string.Join('\n', File.ReadAllLines(found).Select(line => line.StartsWith("schedule ", StringComparison.Ordinal) ? line + " 0 0 0" : line)
            .Where(line => !line.StartsWith("decisions ", StringComparison.Ordinal))) + "\n";
        string trace = Write("padded.trace", text);

        CliRun run = Veralloc("replay", trace);

        AssertBadInput(run, "the schedule would hold more decisions than the");
        Assert.Contains("padded.trace:", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public void ReplayWithANonPositiveStepBoundIsBadInput(string maxSteps)
    {
        string trace = Write("ok.trace", "veralloc-trace 2\nstrategy pct\nscenario slots/alloc-free-2x3\nschedule 0\n");

        CliRun run = Veralloc("replay", "--max-steps", maxSteps, trace);

        AssertBadInput(run, $"--max-steps must be at least 1, not {maxSteps}");
    }

    [Fact]
    public void TestWithATraceDirThatIsAFileIsRejectedBeforeTheRun()
    {
        string file = Write("not-a-folder", "x");

        CliRun run = Veralloc("test", "-s", "slots/alloc-free-2x3", "-n", "10", "--trace-dir", file);

        AssertBadInput(run, "is a file; it must name a folder");
    }

    [Fact]
    public void ATraceThatCannotBeSavedKeepsTheResultsTableAndExitsBadInput()
    {
        string file = Write("not-a-folder", "x");

        CliRun run = Veralloc("test", "--mutants", "-s", "mutant/check-then-act", "-n", "2000", "--trace-dir", Path.Combine(file, "sub"));

        AssertBadInput(run, "mutant/check-then-act: cannot save the trace to");
        Assert.Contains("found InvariantViolation (expected)", run.Output, StringComparison.Ordinal);
        Assert.Contains("trace: (not saved)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlBytesInATraceLineAreShownEscaped()
    {
        string trace = Write("evil.trace", "a 0 10 8\n\u001b[2J\u001b[31mevil 1\n");

        CliRun run = Veralloc("bench", "--trace", trace);

        AssertBadInput(run, "evil.trace:2: unknown operation '\\x1B[2J\\x1B[31mevil'");
        Assert.DoesNotContain("\u001b[2J", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlBytesInAScheduleTraceAreShownEscaped()
    {
        string trace = Write("evil.trace", "veralloc-trace 2\nstrategy pct\n\u001b]0;owned\u0007 1\nschedule 0\n");

        CliRun run = Veralloc("replay", trace);

        AssertBadInput(run, "evil.trace:3: unknown trace line '\\x1B]0;owned\\x07 1'");
        Assert.DoesNotContain("\u001b]0;", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlBytesInAnArgumentAreShownEscaped()
    {
        CliRun unknownScenario = Veralloc("test", "-s", "\u001b[31mred\nReproduced");
        CliRun unknownOption = Veralloc("bench", "--\u001b[2J");

        AssertBadInput(unknownScenario, "Unknown scenario '\\x1B[31mred\\nReproduced'");
        AssertBadInput(unknownOption, "\\x1B[2J");
        Assert.DoesNotContain("\u001b[", unknownScenario.Output + unknownOption.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchMaxOpsCapsATraceThatLeavesBlocksLiveAndTheAdviceSaysSo()
    {
        string trace = Write("live.trace", "a 0 10 8\na 1 20 8\nf 0\n");

        CliRun uncapped = Veralloc("bench", "--trace", trace, "--allocator", "freelist", "--passes", "1");
        CliRun capped = Veralloc("bench", "--trace", trace, "--allocator", "freelist", "--passes", "1", "--max-ops", "2");

        AssertBadInput(uncapped, "leaves 1 blocks live at its end");
        Assert.Contains("--max-ops N with N below its 3 ops", uncapped.Output, StringComparison.Ordinal);
        Assert.True(capped.ExitCode == ExitCodes.Success, capped.ToString());
        Assert.Contains("first 2 ops + free-all", capped.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void AByteOrderMarkIsNotAnOperation()
    {
        string allocation = Path.Combine(_workDirectory, "bom.trace");
        File.WriteAllBytes(allocation, [0xEF, 0xBB, 0xBF, .. "a 0 10 8\nf 0\n"u8]);
        string schedule = Path.Combine(_workDirectory, "bom-schedule.trace");
        File.WriteAllBytes(schedule, [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(MutantTrace())]);

        CliRun bench = Veralloc("bench", "--trace", allocation, "--allocator", "freelist", "--passes", "1");
        CliRun replay = Veralloc("replay", schedule);

        Assert.True(bench.ExitCode == ExitCodes.Success, bench.ToString());
        Assert.True(replay.ExitCode == ExitCodes.Success, replay.ToString());
        Assert.Contains("Reproduced", replay.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void OutOfMemoryIsTheSameExitCodeForBenchAndHeap()
    {
        // Two blocks of 900 MB cannot both fit the free list's 1 GiB reservation.
        string trace = Write("oom.trace", "a 0 900000000 8\na 1 900000000 8\nf 0\nf 1\n");

        CliRun bench = Veralloc("bench", "--trace", trace, "--allocator", "freelist", "--passes", "1");
        CliRun heap = Veralloc("heap", "--trace", trace);

        Assert.True(bench.ExitCode == ExitCodes.OutOfMemory, bench.ToString());
        Assert.Contains("no allocator could run 'oom.trace' to its end", bench.Output, StringComparison.Ordinal);
        Assert.True(heap.ExitCode == ExitCodes.OutOfMemory, heap.ToString());
        Assert.Contains("out of memory at op #1", heap.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("test", "--bogus")]
    [InlineData("bench", "scaling", "--cap", "many")]
    [InlineData("replay")]
    [InlineData]
    public void ArgumentsTheParserRejectsAreBadInputNotBugFound(params string[] arguments)
    {
        CliRun run = Veralloc(arguments);

        AssertBadInput(run, "error: ");
        Assert.Contains("--help' lists the arguments", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void HeapRefusesAGeneratedWorkloadLargerThanItsIdsCanNumber()
    {
        CliRun run = Veralloc("heap", "--rounds", "100000", "--steps", "100000");

        AssertBadInput(run, "exceeds the 8388608 steps a generated trace may take");
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("replay", "--help")]
    [InlineData("bench", "handoff", "--help")]
    public void HelpListsTheExitCodeTable(params string[] arguments)
    {
        CliRun run = Veralloc(arguments);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        foreach (var (code, name, meaning) in ExitCodes.All)
        {
            Assert.Contains($"  {code}  {name}: {meaning}", run.Output, StringComparison.Ordinal);
        }
    }

    private static void AssertBadInput(CliRun run, string message)
    {
        Assert.True(run.ExitCode == ExitCodes.BadInput, run.ToString());
        Assert.True(run.Output.Contains(message, StringComparison.Ordinal), $"expected '{message}' in:\n{run}");
        Assert.False(run.Output.Contains(StackFrame, StringComparison.Ordinal), $"a stack trace for bad input:\n{run}");
        Assert.DoesNotContain("internal error", run.Output, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_workDirectory, name);
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    /// <summary>A real trace: the check-then-act mutant's bug, found and saved by <c>veralloc test</c>.</summary>
    private string MutantTrace()
    {
        string directory = Path.Combine(_workDirectory, "found");
        CliRun run = Veralloc("test", "--mutants", "-s", "mutant/check-then-act", "-n", "2000", "--no-minimize", "--trace-dir", directory);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        return Assert.Single(Directory.GetFiles(directory, "*.trace"));
    }

    private CliRun Veralloc(params string[] arguments) => CliProcess.Run(_workDirectory, arguments);
}
