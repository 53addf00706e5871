using System.Text;
using Veralloc.Bench.Traces;

namespace Veralloc.Fuzz;

/// <summary>
/// The allocation-trace parser: any bytes either parse or raise <see cref="FormatException"/>. A parsed trace must
/// obey the trace rules when recomputed independently (every free names a live id, ids, sizes and alignments within
/// <see cref="TraceLimits"/>, the counters and peaks it reports), and printing its operations and parsing them again
/// must give the same operations.
/// </summary>
public static class TraceParserTarget
{
    /// <summary>Runs one input.</summary>
    /// <param name="input">Trace text, as bytes.</param>
    public static void Run(ReadOnlySpan<byte> input)
    {
        ParsedTrace trace;
        try
        {
            trace = TraceParser.Parse(input, "fuzz");
        }
        catch (FormatException e)
        {
            FuzzCheckException.Require(e.Message.StartsWith("fuzz:", StringComparison.Ordinal), $"a parse error must name the source and line, got '{e.Message}'");
            return;
        }

        Recheck(trace);
        var printed = new StringBuilder();
        foreach (TraceOp op in trace.Ops)
        {
            printed.Append(op.ToString()).Append('\n');
        }

        ParsedTrace reparsed = TraceParser.Parse(printed.ToString(), "printed");
        FuzzCheckException.Require(reparsed.Ops.AsSpan().SequenceEqual(trace.Ops), "printing the parsed operations and parsing them again gave other operations");
        FuzzCheckException.Require(reparsed.Kind == trace.Kind && reparsed.PeakLiveBytes == trace.PeakLiveBytes, "the reparsed trace reports other figures");
    }

    private static void Recheck(ParsedTrace trace)
    {
        FuzzCheckException.Require(trace.OpCount > 0, "a parsed trace has at least one operation");
        FuzzCheckException.Require(trace.AllocCount + trace.FreeCount == trace.OpCount, $"alloc count {trace.AllocCount} + free count {trace.FreeCount} != op count {trace.OpCount}");
        if (trace.Kind == TraceKind.Slot)
        {
            int held = 0;
            foreach (TraceOp op in trace.Ops)
            {
                FuzzCheckException.Require(op.Kind is TraceOpKind.SlotAlloc or TraceOpKind.SlotFree, $"slot trace holds a {op.Kind} op");
                if (op.Kind == TraceOpKind.SlotAlloc)
                {
                    FuzzCheckException.Require(op.Id >= -1, $"slot key {op.Id} below -1 accepted");
                    held++;
                }
                else
                {
                    FuzzCheckException.Require(op.Id >= 0 && op.Id < held, $"held index {op.Id} accepted with at most {held} slots held");
                    held--;
                }
            }

            return;
        }

        var live = new Dictionary<int, (int Size, int Alignment)>();
        long liveBytes = 0;
        long peakBytes = 0;
        int peakBlocks = 0;
        int maxId = -1;
        foreach (TraceOp op in trace.Ops)
        {
            if (op.Kind == TraceOpKind.Alloc)
            {
                FuzzCheckException.Require(op.Id is >= 0 and <= TraceLimits.MaxBlockId, $"id {op.Id} outside the limits accepted");
                FuzzCheckException.Require(op.Size is >= 1 and <= TraceLimits.MaxSize, $"size {op.Size} outside the limits accepted");
                FuzzCheckException.Require(op.Alignment is >= 1 and <= TraceLimits.MaxAlignment && (op.Alignment & (op.Alignment - 1)) == 0, $"alignment {op.Alignment} accepted");
                FuzzCheckException.Require(live.TryAdd(op.Id, (op.Size, op.Alignment)), $"id {op.Id} allocated while live");
                liveBytes += op.Size;
                peakBytes = Math.Max(peakBytes, liveBytes);
                peakBlocks = Math.Max(peakBlocks, live.Count);
                maxId = Math.Max(maxId, op.Id);
            }
            else
            {
                FuzzCheckException.Require(op.Kind == TraceOpKind.Free, $"allocation trace holds a {op.Kind} op");
                FuzzCheckException.Require(live.Remove(op.Id, out var block), $"free of id {op.Id}, which is not live");
                FuzzCheckException.Require(block.Size == op.Size && block.Alignment == op.Alignment, $"free of id {op.Id} carries size {op.Size}/{op.Alignment}, allocated as {block.Size}/{block.Alignment}");
                liveBytes -= op.Size;
            }
        }

        FuzzCheckException.Require(trace.PeakLiveBytes == peakBytes, $"peak live bytes {trace.PeakLiveBytes}, recomputed {peakBytes}");
        FuzzCheckException.Require(trace.PeakLiveBlocks == peakBlocks, $"peak live blocks {trace.PeakLiveBlocks}, recomputed {peakBlocks}");
        FuzzCheckException.Require(trace.LiveBlocksAtEnd == live.Count, $"live blocks at end {trace.LiveBlocksAtEnd}, recomputed {live.Count}");
        FuzzCheckException.Require(trace.IdCapacity == maxId + 1, $"id capacity {trace.IdCapacity}, largest id {maxId}");
    }
}
