using Veralloc.Bench.Replay;
using Veralloc.Bench.Traces;

namespace Veralloc.Tests.Unit.Bench;

/// <summary>A test that needs gcc: skipped, saying so, on a machine without it.</summary>
public sealed class FactWhenGccAttribute : FactAttribute
{
    public FactWhenGccAttribute()
    {
        if (!GlibcBaseline.TryBuild(out _, out string unavailable))
        {
            Skip = $"The C baseline cannot be built here: {unavailable}";
        }
    }
}

public sealed class GlibcBaselineTests
{
    [FactWhenGcc]
    public void TheCProgramReplaysATraceAndVerifiesEveryPass()
    {
        ParsedTrace trace = LolfuzzGenerator.Generate(rounds: 2, stepsPerRound: 300, seed: 5);

        ReplayResult result = GlibcBaseline.Run(trace, new ReplayOptions(Passes: 3, WarmUpMilliseconds: 0));

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(GlibcBaseline.Name, result.Allocator);
        Assert.Equal(trace.OpCount, result.Ops);
        Assert.Equal(3, result.PassMilliseconds.Count);
        Assert.All(result.PassMilliseconds, ms => Assert.True(ms > 0));
        Assert.Equal(AllocationReplayer.Median(result.PassMilliseconds), result.MedianMilliseconds);
    }

    [FactWhenGcc]
    public void ACappedTraceReplaysTheOpsTheManagedAllocatorsGot()
    {
        ParsedTrace trace = LolfuzzGenerator.Generate(rounds: 1, stepsPerRound: 400, seed: 9).Capped(150);

        ReplayResult result = GlibcBaseline.Run(trace, new ReplayOptions(Passes: 1, WarmUpMilliseconds: 0));

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(trace.OpCount, result.Ops);
    }

    [Fact]
    public void WrittenTracesParseBackToTheSameOps()
    {
        ParsedTrace trace = TraceParser.Parse("a 0 10 8\na 1 3 32\nf 0\na 0 5 1\nf 1\nf 0\n", "t");
        string file = Path.Combine(Path.GetTempPath(), $"veralloc-written-{Environment.ProcessId}.trace");
        try
        {
            GlibcBaseline.WriteTrace(trace, file);

            Assert.Equal(trace.Ops, TraceParser.ParseFile(file).Ops);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void OutputIsReadIntoPassTimesAndAVerdict()
    {
        ParsedTrace trace = TraceParser.Parse("a 0 10 8\nf 0\n", "t");

        ReplayResult result = GlibcBaseline.Parse(trace, "glibc-replay 1\nops 2\nwarmup 4 steady 1.20\npass 1 3.5\npass 2 1.5\npass 3 2.5\nverified yes\n", string.Empty, 0);

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal([3.5, 1.5, 2.5], result.PassMilliseconds);
        Assert.Equal(2.5, result.MedianMilliseconds);
    }

    [Theory]
    [InlineData("glibc-replay 1\nops 2\nfailed pass 1: 1 blocks live after every block was freed\n", 1, "1 blocks live", false)]
    [InlineData("glibc-replay 1\nops 2\nfailed warm-up: out of memory at op #0\n", 3, "out of memory at op #0", true)]
    [InlineData("glibc-replay 1\nops 3\npass 1 1.0\nverified yes\n", 0, "read 3 ops, the trace has 2", false)]
    [InlineData("", 2, "exited with 2: error: t:1: bad", false)]
    public void AFailedOrInconsistentRunIsReportedNotTimed(string output, int exitCode, string expected, bool outOfMemory)
    {
        ParsedTrace trace = TraceParser.Parse("a 0 10 8\nf 0\n", "t");

        ReplayResult result = GlibcBaseline.Parse(trace, output, "error: t:1: bad\n", exitCode);

        Assert.False(result.Succeeded);
        Assert.Contains(expected, result.Failure, StringComparison.Ordinal);
        Assert.Equal(outOfMemory, result.OutOfMemory);
        Assert.Equal(!outOfMemory, result.FailedVerification);
        Assert.True(double.IsNaN(result.NanosecondsPerOp));
    }
}
