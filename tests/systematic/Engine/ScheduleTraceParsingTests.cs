using Veralloc.Systematic;

namespace Veralloc.Tests.Systematic.Engine;

/// <summary>
/// The schedule-trace reader on hostile input: every problem names its line, and no count in the file sizes anything
/// before it has been checked against the trace's own bounds.
/// </summary>
public sealed class ScheduleTraceParsingTests
{
    private const string Header = "veralloc-trace 2\nstrategy pct\n";

    [Theory]
    [InlineData("veralloc-trace 3\nstrategy dfs\nschedule 0\n", 1, "unsupported trace version 3")]
    [InlineData("\n# comment\nnot a trace\n", 3, "not a trace")]
    [InlineData(Header + "seed x\nschedule 0\n", 3, "bad seed 'x'")]
    [InlineData(Header + "iteration -1\nschedule 0\n", 3, "iteration -1 is negative")]
    [InlineData(Header + "max-steps 0\nschedule 0\n", 3, "max-steps 0 must be positive")]
    [InlineData(Header + "fair-after -2\nschedule 0\n", 3, "fair-after -2 must be 'off' or non-negative")]
    [InlineData(Header + "bug Sideways\nschedule 0\n", 3, "unknown bug kind 'Sideways'")]
    [InlineData(Header + "\nwhat 1\nschedule 0\n", 4, "unknown trace line 'what 1'")]
    [InlineData(Header + "schedule 0 x\n", 3, "bad thread id 'x'")]
    [InlineData(Header + "schedule 0\nschedule 1\n", 4, "a second 'schedule' line (the first is line 3)")]
    [InlineData(Header + "decisions 3\nschedule 0 1\n", 3, "the trace declares 3 decisions but its schedule (line 4) holds 2")]
    [InlineData(Header + "decisions -1\nschedule 0\n", 3, "bad decisions count -1")]
    [InlineData(Header + "decisions 10000001\nschedule 0\n", 3, "bad decisions count 10000001")]
    [InlineData(Header + "schedule 0\npoints 2\np 0 0:start\n", 4, "the trace declares 2 points but holds 1")]
    [InlineData(Header + "schedule 0\npoints 1\np 0 0:start\np 0 0:start\n", 6, "the trace declares 1 points but holds more")]
    [InlineData(Header + "schedule 0\npoints 1\np x\n", 5, "Bad point 'p x'")]
    [InlineData("veralloc-trace 2\nseed 1\nschedule 0\n", 3, "the trace has no 'strategy' line")]
    [InlineData(Header + "seed 1\n\n", 3, "the trace has no 'schedule' line")]
    [InlineData("\n\n", 1, "empty trace")]
    [InlineData(Header + "scenario mu\r\rsteps 10\nschedule 0\n", 3, "scenario name 'mu\r\rsteps 10' must be a single line")]
    public void EachProblemNamesItsLine(string text, int line, string problem)
    {
        var error = Assert.Throws<FormatException>(() => ScheduleTrace.Parse(text, "bad.trace"));

        Assert.StartsWith($"bad.trace:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutASourceTheMessageStillNamesTheLine()
    {
        var error = Assert.Throws<FormatException>(() => ScheduleTrace.Parse(Header + "schedule ?\n"));

        Assert.StartsWith("line 3: bad random value ''", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("schedule 0*2147483647\n", "more than 10000000 decisions")]
    [InlineData("schedule 1*9999999 0*9999999\n", "more than 10000000 decisions")]
    [InlineData("decisions 2\nschedule 0*1000000\n", "more than the 2 decisions the trace declares")]
    [InlineData("schedule 0*9000000\npoints 1\np 0 0:start\n", "more decisions than the 1 scheduling points the trace records")]
    public void ARunLengthIsCheckedAgainstTheTracesBoundsBeforeItIsExpanded(string body, string problem)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<FormatException>(() => ScheduleTrace.Parse(Header + body, "big.trace"));

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith("big.trace:", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"rejecting a {body.Length}-character schedule allocated {allocated:N0} bytes");
    }

    [Fact]
    public void TheLargestScheduleTheBoundsAllowIsExpanded()
    {
        var trace = ScheduleTrace.Parse(Header + "decisions 5\nschedule 1*2 ?3 0*2\npoints 5\np 1 0:start 1:start\np 1 0:start 1:start\nv 3/4\np 0 0:start\np 0 0:start\n");

        Assert.Equal([1, 1, 0, 0], trace.Decisions);
        Assert.Equal(ScheduleChoice.RandomValue(3), trace.Choices[2]);
    }

    [Fact]
    public void AByteOrderMarkBeforeTheHeaderIsSkipped()
    {
        var trace = ScheduleTrace.Parse("\uFEFF" + Header + "schedule 0 1\n");

        Assert.Equal([0, 1], trace.Decisions);
    }

    [Fact]
    public void LoadNamesTheFileInItsErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"veralloc-{Guid.NewGuid():N}.trace");
        File.WriteAllText(path, Header + "schedule 0\nbogus\n");
        try
        {
            var error = Assert.Throws<FormatException>(() => ScheduleTrace.Load(path));
            Assert.StartsWith($"{Path.GetFileName(path)}:4: unknown trace line 'bogus'", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
