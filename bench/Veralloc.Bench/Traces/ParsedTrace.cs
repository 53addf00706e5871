namespace Veralloc.Bench.Traces;

/// <summary>Which harness a trace is for: byte-range allocators or the slot pool.</summary>
public enum TraceKind
{
    /// <summary>Only <c>a</c>/<c>f</c> operations.</summary>
    Allocation,

    /// <summary>Only <c>s</c>/<c>r</c> operations.</summary>
    Slot,
}

/// <summary>
/// A fully parsed, validated trace: the op array replay walks, plus the facts about it that the
/// harness needs up front (the id table size) and that reports quote (peak live blocks and bytes).
/// </summary>
/// <remarks>
/// Allocation traces are validated when built: every free names a live id, no id is allocated twice
/// while live. <see cref="EndsEmpty"/> says whether every allocation is freed by the end, which is what
/// lets the harness demand an empty allocator afterwards.
/// </remarks>
public sealed class ParsedTrace
{
    internal ParsedTrace(string name, TraceKind kind, TraceOp[] ops, int idCapacity, int allocCount, int freeCount,
        int peakLiveBlocks, long peakLiveBytes, int liveBlocksAtEnd, int peakLiveBytesOpIndex, int lastAllocOpIndex)
    {
        Name = name;
        Kind = kind;
        Ops = ops;
        IdCapacity = idCapacity;
        AllocCount = allocCount;
        FreeCount = freeCount;
        PeakLiveBlocks = peakLiveBlocks;
        PeakLiveBytes = peakLiveBytes;
        LiveBlocksAtEnd = liveBlocksAtEnd;
        PeakLiveBytesOpIndex = peakLiveBytesOpIndex;
        LastAllocOpIndex = lastAllocOpIndex;
    }

    /// <summary>Where the trace came from (a file name or a generator description).</summary>
    public string Name { get; }

    /// <summary>Allocation or slot trace.</summary>
    public TraceKind Kind { get; }

    /// <summary>The operations in order. Callers must not modify the array.</summary>
    public TraceOp[] Ops { get; }

    /// <summary>One more than the largest id (allocation traces) or 0 (slot traces): the size of the replay's id table.</summary>
    public int IdCapacity { get; }

    /// <summary>Number of allocation operations (<c>a</c> or <c>s</c>).</summary>
    public int AllocCount { get; }

    /// <summary>Number of free operations (<c>f</c> or <c>r</c>).</summary>
    public int FreeCount { get; }

    /// <summary>Allocations plus frees: the denominator of ns/op.</summary>
    public int OpCount => Ops.Length;

    /// <summary>The most blocks live at once (allocation traces; requested sizes, not rounded).</summary>
    public int PeakLiveBlocks { get; }

    /// <summary>The most requested bytes live at once (allocation traces).</summary>
    public long PeakLiveBytes { get; }

    /// <summary>Blocks still live after the last op (allocation traces).</summary>
    public int LiveBlocksAtEnd { get; }

    /// <summary>Index of the op after which live bytes first reach <see cref="PeakLiveBytes"/>; -1 for slot traces.</summary>
    public int PeakLiveBytesOpIndex { get; }

    /// <summary>
    /// Index of the last allocation; -1 for slot traces. In lolfuzz the ops after it are the last round's
    /// free-all, so "just after it" is the end of the last round's steps.
    /// </summary>
    public int LastAllocOpIndex { get; }

    /// <summary>True when every allocation is freed by the end of an allocation trace.</summary>
    public bool EndsEmpty => Kind == TraceKind.Allocation && LiveBlocksAtEnd == 0;

    /// <summary>
    /// The first <paramref name="maxOps"/> operations of an allocation trace, followed by frees of every block
    /// still live at that point (in id order), so the result still ends empty. Used to bound O(n)-per-op
    /// allocators on big traces. Returns this trace when it is already short enough.
    /// </summary>
    /// <param name="maxOps">How many operations of the original to keep; at least 1.</param>
    /// <returns>A trace whose name says it was capped, or this trace.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxOps"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">This is a slot trace.</exception>
    public ParsedTrace Capped(int maxOps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxOps);
        if (Kind != TraceKind.Allocation)
        {
            throw new InvalidOperationException($"Only allocation traces can be capped; '{Name}' is a {Kind} trace.");
        }

        if (maxOps >= Ops.Length)
        {
            return this;
        }

        var builder = new TraceBuilder($"{Name} (first {maxOps} ops + free-all)", TraceKind.Allocation);
        for (int i = 0; i < maxOps; i++)
        {
            builder.Add(Ops[i]);
        }

        builder.FreeAllLive();
        return builder.Build();
    }
}
