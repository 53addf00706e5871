using Veralloc.Bench.Replay;
using Veralloc.Bench.Traces;

namespace Veralloc.Tests.Unit.Bench;

public sealed class TraceParserTests
{
    [Fact]
    public void ParsesAllocationOpsAndCopiesSizeAndAlignmentIntoFrees()
    {
        ParsedTrace trace = TraceParser.Parse("a 0 50 64\na 1 7 1\nf 0\r\n\n# comment\na 2 100 8\nf 2\nf 1\n", "t");

        Assert.Equal(TraceKind.Allocation, trace.Kind);
        Assert.Equal(
            [TraceOp.Alloc(0, 50, 64), TraceOp.Alloc(1, 7, 1), TraceOp.Free(0, 50, 64), TraceOp.Alloc(2, 100, 8), TraceOp.Free(2, 100, 8), TraceOp.Free(1, 7, 1)],
            trace.Ops);
        Assert.Equal(3, trace.IdCapacity);
        Assert.Equal(3, trace.AllocCount);
        Assert.Equal(3, trace.FreeCount);
        Assert.Equal(2, trace.PeakLiveBlocks);
        Assert.Equal(107, trace.PeakLiveBytes);
        Assert.Equal(3, trace.PeakLiveBytesOpIndex);
        Assert.Equal(3, trace.LastAllocOpIndex);
        Assert.True(trace.EndsEmpty);
    }

    [Fact]
    public void ParsesSlotOps()
    {
        ParsedTrace trace = TraceParser.Parse("s 3\ns -1\nr 1\nr 0\n", "slots");

        Assert.Equal(TraceKind.Slot, trace.Kind);
        Assert.Equal([TraceOp.SlotAlloc(3), TraceOp.SlotAlloc(-1), TraceOp.SlotFree(1), TraceOp.SlotFree(0)], trace.Ops);
        Assert.False(trace.EndsEmpty);
    }

    [Theory]
    [InlineData("a 0 8 8\nx 1\n", 2, "unknown operation 'x'")]
    [InlineData("a 0 8 8\nab 1\n", 2, "unknown operation 'ab'")]
    [InlineData("a 0 8\n", 1, "expected 'a ID SIZE ALIGN' (4 fields), found 3 fields")]
    [InlineData("a 0 8 8\nf 0 1\n", 2, "expected 'f ID' (2 fields)")]
    [InlineData("a 0 8 8 1 2 3\n", 1, "found 5 or more fields")]
    [InlineData("a 0 eight 8\n", 1, "SIZE 'eight' is not a 32-bit integer")]
    [InlineData("a 0 99999999999 8\n", 1, "SIZE '99999999999' is not a 32-bit integer")]
    [InlineData("a 0 0 8\n", 1, "Size must be between 1 and 1073741824, got 0")]
    [InlineData("a 0 1073741825 8\n", 1, "Size must be between 1 and 1073741824, got 1073741825")]
    [InlineData("a 0 8 3\n", 1, "Alignment must be a power of two between 1 and 65536, got 3")]
    [InlineData("a 0 8 131072\n", 1, "Alignment must be a power of two between 1 and 65536, got 131072")]
    [InlineData("a 0 8 1073741824\n", 1, "Alignment must be a power of two between 1 and 65536, got 1073741824")]
    [InlineData("a -1 8 8\n", 1, "Block id must be between 0 and 16777215, got -1")]
    [InlineData("a 0 8 8\na 16777216 8 8\n", 2, "Block id must be between 0 and 16777215, got 16777216")]
    [InlineData("a 2147483647 8 8\n", 1, "Block id must be between 0 and 16777215, got 2147483647")]
    [InlineData("a 0 8 8\na 1 8 8\nf 0\nf 0\n", 4, "Block id 0 is freed but is not live")]
    [InlineData("a 0 8 8\n\n\nf 7\n", 4, "Block id 7 is freed but is not live")]
    [InlineData("a 0 8 8\na 0 8 8\n", 2, "Block id 0 is allocated again while still live")]
    [InlineData("a 0 8 8\ns 1\n", 2, "cannot be mixed")]
    [InlineData("s 1\nf 0\n", 2, "cannot be mixed")]
    [InlineData("s -2\n", 1, "slot key must be -1 (none) or non-negative")]
    [InlineData("s 1\nr 1\n", 2, "Held index 1 is out of range")]
    [InlineData("r 0\n", 1, "Held index 0 is out of range")]
    public void BadLinesAreReportedWithTheirLineNumber(string text, int line, string problem)
    {
        var error = Assert.Throws<FormatException>(() => TraceParser.Parse(text, "bad.trace"));

        Assert.StartsWith($"bad.trace:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("\n\n# only a comment\n", 3)]
    public void EmptyTraceIsRejectedAtItsLastLine(string text, int line)
    {
        var error = Assert.Throws<FormatException>(() => TraceParser.Parse(text, "empty.trace"));
        Assert.StartsWith($"empty.trace:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("no operations", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLargestIdSizeAndAlignmentWithinTheLimitsAreAccepted()
    {
        ParsedTrace trace = TraceParser.Parse($"a {TraceLimits.MaxBlockId} {TraceLimits.MaxSize} {TraceLimits.MaxAlignment}\nf {TraceLimits.MaxBlockId}\n", "t");

        Assert.Equal(TraceLimits.MaxBlockId + 1, trace.IdCapacity);
        Assert.Equal(TraceLimits.MaxSize, trace.PeakLiveBytes);
    }

    [Fact]
    public void AByteOrderMarkAtTheStartIsSkippedButNotElsewhere()
    {
        byte[] bom = [0xEF, 0xBB, 0xBF];
        ParsedTrace trace = TraceParser.Parse([.. bom, .. "a 0 8 8\nf 0\n"u8], "bom.trace");
        Assert.Equal([TraceOp.Alloc(0, 8, 8), TraceOp.Free(0, 8, 8)], trace.Ops);

        var error = Assert.Throws<FormatException>(() => TraceParser.Parse([.. "a 0 8 8\n"u8, .. bom, .. "f 0\n"u8], "bom.trace"));
        Assert.StartsWith("bom.trace:2: unknown operation '\uFEFFf'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLimitsAreOnesEveryRegisteredAllocatorCanServe()
    {
        // A valid trace must be one every allocator can at least attempt: no allocator may reject the largest alignment
        // the format allows as a bad request, and no block may exceed the heap the harness reserves.
        Assert.True(TraceLimits.MaxSize <= AllocatorRegistry.ReservationBytes);
        foreach (AllocatorEntry entry in AllocatorRegistry.All)
        {
            using ReplaySubject subject = entry.Create();
            Assert.True(subject.Allocator.TryAllocate(8, TraceLimits.MaxAlignment, out long offset), $"{entry.Name} refused alignment {TraceLimits.MaxAlignment}");
            Assert.Equal(0, offset % TraceLimits.MaxAlignment);
            subject.Allocator.Free(offset, 8, TraceLimits.MaxAlignment);
        }
    }

    [Fact]
    public void ParseFileNamesTheTraceAfterTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"veralloc-{Guid.NewGuid():N}.trace");
        File.WriteAllText(path, "a 0 1 1\nf 0\n");
        try
        {
            ParsedTrace trace = TraceParser.ParseFile(path);
            Assert.Equal(Path.GetFileName(path), trace.Name);
            Assert.Equal(2, trace.OpCount);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CappedKeepsThePrefixAndFreesWhatIsLiveInIdOrder()
    {
        ParsedTrace trace = TraceParser.Parse("a 5 8 8\na 2 16 16\na 9 32 8\nf 2\na 3 1 1\nf 9\nf 5\nf 3\n", "t");

        ParsedTrace capped = trace.Capped(3);

        Assert.Equal(
            [TraceOp.Alloc(5, 8, 8), TraceOp.Alloc(2, 16, 16), TraceOp.Alloc(9, 32, 8), TraceOp.Free(2, 16, 16), TraceOp.Free(5, 8, 8), TraceOp.Free(9, 32, 8)],
            capped.Ops);
        Assert.True(capped.EndsEmpty);
        Assert.Contains("first 3 ops", capped.Name, StringComparison.Ordinal);
        Assert.Same(trace, trace.Capped(100));
        Assert.Throws<ArgumentOutOfRangeException>(() => trace.Capped(0));
        Assert.Throws<InvalidOperationException>(() => TraceParser.Parse("s 1\n", "s").Capped(1));
    }

    [Fact]
    public void LolfuzzGeneratorRefusesMoreStepsThanItsIdsCanNumber()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LolfuzzGenerator.Generate(rounds: LolfuzzGenerator.MaxTotalSteps / 2 + 1, stepsPerRound: 2));

        Assert.Contains($"exceed the {LolfuzzGenerator.MaxTotalSteps} steps", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LolfuzzGeneratorIsDeterministicEndsEmptyAndKeepsTheDistribution()
    {
        ParsedTrace first = LolfuzzGenerator.Generate(rounds: 3, stepsPerRound: 500, seed: 7);
        ParsedTrace second = LolfuzzGenerator.Generate(rounds: 3, stepsPerRound: 500, seed: 7);

        Assert.Equal(first.Ops, second.Ops);
        Assert.True(first.EndsEmpty);
        TraceOp[] allocs = [.. first.Ops.Where(op => op.Kind == TraceOpKind.Alloc)];
        Assert.InRange(allocs.Length, 1500, 1500 + 200); // one small per step, ~5% extra large
        Assert.All(allocs, op => Assert.InRange(op.Size, 1, 655359));
        Assert.All(allocs, op => Assert.True(op.Alignment is >= 1 and <= 32768 && (op.Alignment & (op.Alignment - 1)) == 0));
        Assert.Contains(allocs, op => op.Size >= 100); // the large branch fires
        Assert.NotEqual(first.Ops, LolfuzzGenerator.Generate(rounds: 3, stepsPerRound: 500, seed: 8).Ops);
    }
}
