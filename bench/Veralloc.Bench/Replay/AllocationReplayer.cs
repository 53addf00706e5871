using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Veralloc.Allocators;
using Veralloc.Bench.Traces;
using Veralloc.Invariants;

namespace Veralloc.Bench.Replay;

/// <summary>How a replay is run.</summary>
/// <param name="Passes">Measured passes; the reported time is their median. At least 1.</param>
/// <param name="CheckEvery">
/// When positive, the first (untimed) warm-up pass calls <see cref="IOffsetAllocator.CheckInvariants"/>
/// after every <c>CheckEvery</c> ops; 0 for only at its end.
/// </param>
/// <param name="WarmUpMilliseconds">
/// Tier-up passes repeat until at least this long has been spent warming up (and at least two passes ran), then the
/// harness pauses briefly and runs steady passes (see <see cref="SteadyWarmUp"/>): tiered JIT compiles hot methods to
/// tier 1 in the background only after they have been called for a while, and a pass that starts earlier runs partly
/// at tier 0. 0 for a single warm-up pass (tests).
/// </param>
/// <param name="SteadyTolerance">Two successive steady passes this close (relative) end the warm-up.</param>
/// <param name="WarmUpCapMilliseconds">When the steady passes have taken this long, the warm-up ends unsteady (reported in <see cref="ReplayResult.WarmUp"/>).</param>
public readonly record struct ReplayOptions(
    int Passes = 5,
    int CheckEvery = 0,
    int WarmUpMilliseconds = ReplayOptions.DefaultWarmUpMilliseconds,
    double SteadyTolerance = SteadyWarmUp.DefaultTolerance,
    int WarmUpCapMilliseconds = SteadyWarmUp.DefaultCapMilliseconds)
{
    /// <summary>The default tier-up budget: well past the runtime's 100 ms tiering delay and 30-call threshold.</summary>
    public const int DefaultWarmUpMilliseconds = 500;
}

/// <summary>The outcome of replaying one trace against one allocator.</summary>
public sealed record ReplayResult(
    string Allocator,
    string Trace,
    int Ops,
    IReadOnlyList<double> PassMilliseconds,
    double MedianMilliseconds,
    long ManagedBytesAllocatedInTimedPasses,
    string? Failure,
    bool OutOfMemory = false,
    bool Unavailable = false,
    WarmUpOutcome WarmUp = default)
{
    /// <summary>
    /// True when the allocator refused an allocation (a legal outcome) or could not be measured at all
    /// (<see cref="Unavailable"/>), not when it broke.
    /// </summary>
    public bool FailedVerification => Failure is not null && !OutOfMemory && !Unavailable;

    /// <summary>True when every pass completed and the end state verified.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>Median pass time divided by the op count (allocations + frees).</summary>
    public double NanosecondsPerOp => Ops == 0 ? 0 : MedianMilliseconds * 1e6 / Ops;
}

/// <summary>
/// Replays allocation traces against an <see cref="IOffsetAllocator"/>. The trace is parsed beforehand; the
/// timed loop touches only the op array and a preallocated id → offset table (sizes and alignments travel
/// in the ops), so it allocates nothing on the managed heap. One instance per (trace, allocator) pair is
/// reused across passes: a pass ends with everything freed, which is verified, so the next pass starts
/// from the same empty — but already grown — allocator. The first pass is a warm-up (JIT tiers, heap growth).
/// </summary>
public static class AllocationReplayer
{
    /// <summary>Warm-up, optional checked pass, then <see cref="ReplayOptions.Passes"/> timed passes, each verified.</summary>
    /// <param name="trace">An allocation trace that ends empty.</param>
    /// <param name="subject">The allocator.</param>
    /// <param name="options">Passes and checking.</param>
    /// <returns>Timings, or the first failure (out of memory, exception, broken invariant, not empty at the end).</returns>
    /// <exception cref="ArgumentException">The trace is not an allocation trace ending empty.</exception>
    public static ReplayResult Run(ParsedTrace trace, ReplaySubject subject, ReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Passes);
        ArgumentOutOfRangeException.ThrowIfNegative(options.CheckEvery);
        if (!trace.EndsEmpty)
        {
            throw new ArgumentException($"Trace '{trace.Name}' must be an allocation trace that frees every block by its end.", nameof(trace));
        }

        var offsets = new long[trace.IdCapacity];
        var passMilliseconds = new double[options.Passes];
        bool outOfMemory = false;
        long warmUpStarted = Stopwatch.GetTimestamp();
        string? failure = Verified(trace, subject, offsets, options.CheckEvery, "warm-up", ref outOfMemory);
        WarmUpOutcome warmUp = WarmUpOutcome.SinglePass;
        if (failure is null)
        {
            int chunk = Math.Max(1, trace.Ops.Length / TierUpChunks);
            warmUp = SteadyWarmUp.Run(
                () => (failure = ReplayInChunks(trace, subject, offsets, chunk, "warm-up", ref outOfMemory)) is null,
                () => TimedPass(trace, subject, offsets, "warm-up", ref failure, ref outOfMemory, out _),
                options,
                warmUpStarted);
        }

        long allocatedBytes = 0;
        for (int pass = 0; pass < options.Passes && failure is null; pass++)
        {
            passMilliseconds[pass] = TimedPass(trace, subject, offsets, $"pass {pass + 1}", ref failure, ref outOfMemory, out long allocated);
            allocatedBytes += allocated;
        }

        return new ReplayResult(subject.Name, trace.Name, trace.OpCount, passMilliseconds,
            failure is null ? Median(passMilliseconds) : double.NaN, allocatedBytes, failure, outOfMemory, WarmUp: warmUp);
    }

    /// <summary>One pass timed as the reported ones are: a collection first, then the whole trace in one call, then verification.</summary>
    /// <returns>The pass's milliseconds, or NaN when it failed (then <paramref name="failure"/> says why).</returns>
    private static double TimedPass(ParsedTrace trace, ReplaySubject subject, long[] offsets, string phase, ref string? failure, ref bool outOfMemory, out long allocatedBytes)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long started = Stopwatch.GetTimestamp();
        int failedAt = ReplayRange(trace.Ops, 0, trace.Ops.Length, subject.Allocator, offsets, out Exception? error);
        long elapsed = Stopwatch.GetTimestamp() - started;
        allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        outOfMemory = failedAt >= 0 && error is null;
        failure = failedAt >= 0 ? Describe(trace, failedAt, error, phase) : EndStateProblem(subject, phase);
        return failure is null ? elapsed * 1000.0 / Stopwatch.Frequency : double.NaN;
    }

    /// <summary>
    /// An untimed pass that calls <see cref="ReplayRange"/> once per chunk, so the loop itself is called often enough to
    /// be compiled at tier 1 whether or not the checked pass before it called it per chunk (<c>--check</c>); without
    /// this, a run without <c>--check</c> timed the loop's on-stack-replacement code and one with it the tier-1 code.
    /// </summary>
    private static string? ReplayInChunks(ParsedTrace trace, ReplaySubject subject, long[] offsets, int chunk, string phase, ref bool outOfMemory)
    {
        for (int start = 0; start < trace.Ops.Length; start += chunk)
        {
            int failedAt = ReplayRange(trace.Ops, start, Math.Min(start + chunk, trace.Ops.Length), subject.Allocator, offsets, out Exception? error);
            if (failedAt >= 0)
            {
                outOfMemory = error is null;
                return Describe(trace, failedAt, error, phase);
            }
        }

        return EndStateProblem(subject, phase);
    }

    /// <summary>
    /// Replays ops <c>[start, end)</c>. The hot loop: no allocation, no checks beyond the allocator's own.
    /// </summary>
    /// <param name="ops">The trace's ops.</param>
    /// <param name="start">First op.</param>
    /// <param name="end">One past the last op.</param>
    /// <param name="allocator">The allocator.</param>
    /// <param name="offsets">Id → offset table, at least the trace's <see cref="ParsedTrace.IdCapacity"/> long.</param>
    /// <param name="error">The exception an op threw, if any.</param>
    /// <returns>-1 on success, else the index of the op that failed (out of memory or exception).</returns>
    public static int ReplayRange(TraceOp[] ops, int start, int end, IOffsetAllocator allocator, long[] offsets, out Exception? error)
    {
        error = null;
        int i = start;
        try
        {
            for (; i < end; i++)
            {
                TraceOp op = ops[i];
                if (op.Kind == TraceOpKind.Alloc)
                {
                    if (!allocator.TryAllocate(op.Size, op.Alignment, out offsets[op.Id]))
                    {
                        return i;
                    }
                }
                else
                {
                    allocator.Free(offsets[op.Id], op.Size, op.Alignment);
                }
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvariantViolationException)
        {
            // Checked-mode allocators report a corrupted structure from inside an operation.
            error = e;
            return i;
        }

        return -1;
    }

    /// <summary>
    /// Replays ops <c>[start, end)</c> untimed, checking invariants every <paramref name="checkEvery"/> ops (0: only at the end).
    /// </summary>
    /// <returns>Null on success, else what went wrong and where.</returns>
    public static string? ReplayChecked(ParsedTrace trace, ReplaySubject subject, long[] offsets, int start, int end, int checkEvery, string phase)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(subject);
        int stride = checkEvery > 0 ? checkEvery : end - start;
        for (int chunk = start; chunk < end; chunk += stride)
        {
            int chunkEnd = (int)Math.Min((long)chunk + stride, end);
            int failedAt = ReplayRange(trace.Ops, chunk, chunkEnd, subject.Allocator, offsets, out Exception? error);
            if (failedAt >= 0)
            {
                return Describe(trace, failedAt, error, phase);
            }

            try
            {
                subject.Allocator.CheckInvariants();
            }
            catch (InvariantViolationException e)
            {
                return $"{phase}: after op #{chunkEnd - 1} ({trace.Ops[chunkEnd - 1]}): {e.Message}";
            }
        }

        return null;
    }

    /// <summary>Median of the values (mean of the middle two for an even count).</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The median.</returns>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfZero(values.Count);
        double[] sorted = [.. values];
        Array.Sort(sorted);
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>
    /// True when <paramref name="failure"/>, as returned by <see cref="ReplayChecked"/>, says the allocator refused an
    /// allocation (a legal outcome) rather than that it threw or broke an invariant.
    /// </summary>
    /// <param name="failure">A failure description, or null.</param>
    /// <returns>Whether it is an out-of-memory stop.</returns>
    public static bool IsOutOfMemory([NotNullWhen(true)] string? failure) => failure is not null && failure.Contains(OutOfMemoryMarker, StringComparison.Ordinal);

    /// <summary>Invariants hold and (if the subject can tell) nothing is allocated.</summary>
    /// <returns>Null when the end state is right, else the problem.</returns>
    public static string? EndStateProblem(ReplaySubject subject, string phase)
    {
        ArgumentNullException.ThrowIfNull(subject);
        try
        {
            subject.Allocator.CheckInvariants();
        }
        catch (InvariantViolationException e)
        {
            return $"{phase}: invariants broken at the end: {e.Message}";
        }

        string? notEmpty = subject.EmptinessProblem?.Invoke();
        return notEmpty is null ? null : $"{phase}: not empty after every block was freed: {notEmpty}";
    }

    private static string? Verified(ParsedTrace trace, ReplaySubject subject, long[] offsets, int checkEvery, string phase, ref bool outOfMemory)
    {
        string? problem = ReplayChecked(trace, subject, offsets, 0, trace.Ops.Length, checkEvery, phase);
        outOfMemory = IsOutOfMemory(problem);
        return problem ?? EndStateProblem(subject, phase);
    }

    // Tier-up passes call the replay loop this many times each, past the runtime's 30-call threshold within one pass.
    private const int TierUpChunks = 64;

    private const string OutOfMemoryMarker = ": out of memory at op #";

    private static string Describe(ParsedTrace trace, int failedAt, Exception? error, string phase) =>
        error is null
            ? $"{phase}{OutOfMemoryMarker}{failedAt} ({trace.Ops[failedAt]})"
            : $"{phase}: op #{failedAt} ({trace.Ops[failedAt]}) threw {error.GetType().Name}: {error.Message}";
}
