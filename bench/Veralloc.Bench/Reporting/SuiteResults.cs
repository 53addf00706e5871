using Veralloc.Bench.Replay;

namespace Veralloc.Bench.Reporting;

/// <summary>Where and when a set of figures was measured: what every published figure must say.</summary>
/// <param name="Cpu">CPU model (from /proc/cpuinfo), or what the runtime reports.</param>
/// <param name="Cores">Logical processors the process sees.</param>
/// <param name="DateUtc">Start of the run, UTC, <c>yyyy-MM-dd HH:mm</c>.</param>
/// <param name="Commit">The commit measured (<c>git rev-parse --short HEAD</c>, with <c>+changes</c> when the tree differs).</param>
/// <param name="LoadBefore">Load average (1, 5, 15 min) when the run started.</param>
/// <param name="LoadAfter">Load average when it ended.</param>
/// <param name="Runtime">The .NET runtime.</param>
/// <param name="Command">The command line that reproduces the run.</param>
public sealed record RunStamp(string Cpu, int Cores, string DateUtc, string Commit, string LoadBefore, string LoadAfter, string Runtime, string Command);

/// <summary>One allocator's figures on one trace.</summary>
/// <param name="Allocator">Registry name, or <c>glibc</c>.</param>
/// <param name="MedianNanosecondsPerOp">Median pass ÷ ops; NaN when not measured.</param>
/// <param name="MinNanosecondsPerOp">Fastest pass ÷ ops; NaN when not measured.</param>
/// <param name="Passes">Timed passes.</param>
/// <param name="Ops">Ops replayed (fewer than the trace when capped).</param>
/// <param name="Verified">Every pass ended with invariants holding and the allocator empty.</param>
/// <param name="Outcome"><c>verified</c>, <c>out of memory</c>, <c>not measured</c> or <c>FAILED</c>.</param>
/// <param name="Capped">Only a prefix of the trace was replayed (O(n)-per-op allocators on big traces).</param>
/// <param name="WarmUp">How the warm-up ended.</param>
public sealed record AllocatorFigures(string Allocator, double MedianNanosecondsPerOp, double MinNanosecondsPerOp, int Passes, int Ops,
    bool Verified, string Outcome, bool Capped, WarmUpOutcome WarmUp)
{
    /// <summary>The figures of one replay.</summary>
    /// <param name="result">The replay.</param>
    /// <param name="capped">Whether the replayed trace was a capped prefix.</param>
    /// <returns>The figures.</returns>
    public static AllocatorFigures From(ReplayResult result, bool capped = false)
    {
        ArgumentNullException.ThrowIfNull(result);
        double min = result.Succeeded && result.PassMilliseconds.Count > 0 && result.Ops > 0 ? result.PassMilliseconds.Min() * 1e6 / result.Ops : double.NaN;
        string outcome = result.Succeeded ? "verified" : result.OutOfMemory ? "out of memory" : result.Unavailable ? "not measured" : "FAILED";
        return new AllocatorFigures(result.Allocator, result.Succeeded ? result.NanosecondsPerOp : double.NaN, min,
            result.Succeeded ? result.PassMilliseconds.Count : 0, result.Ops, result.Succeeded, outcome, capped, result.WarmUp);
    }
}

/// <summary>Every allocator's figures on one trace.</summary>
/// <param name="Workload">The trace: <c>lolfuzz</c>, <c>steady-100</c>, ….</param>
/// <param name="Ops">Ops in the whole trace.</param>
/// <param name="Allocators">In table order, <c>native</c> and <c>glibc</c> first.</param>
public sealed record WorkloadFigures(string Workload, int Ops, IReadOnlyList<AllocatorFigures> Allocators)
{
    /// <summary>The named allocator's figures, if it ran.</summary>
    /// <returns>The figures, or null.</returns>
    public AllocatorFigures? Find(string allocator) => Allocators.FirstOrDefault(a => a.Allocator == allocator);

    /// <summary>This allocator's median ÷ the baseline's, both measured in this run; NaN when either is missing.</summary>
    /// <returns>The ratio.</returns>
    public double Ratio(string allocator, string baseline) =>
        Find(allocator) is { Verified: true } mine && Find(baseline) is { Verified: true } theirs && theirs.MedianNanosecondsPerOp > 0
            ? mine.MedianNanosecondsPerOp / theirs.MedianNanosecondsPerOp
            : double.NaN;
}

/// <summary>The slot allocator on the slots trace at one threshold.</summary>
/// <param name="MaxUnusedWarm">The threshold.</param>
/// <param name="NanosecondsPerOp">Median ns/op; NaN when it failed.</param>
/// <param name="SameKeyReuse">Keyed allocations that got a slot last used by the same key, 0..1.</param>
/// <param name="Chance">Reuse by chance: 1 ÷ keys.</param>
/// <param name="Verified">Invariants held.</param>
/// <param name="WarmUp">How the warm-up ended.</param>
public sealed record SlotFigures(int MaxUnusedWarm, double NanosecondsPerOp, double SameKeyReuse, double Chance, bool Verified, WarmUpOutcome WarmUp);

/// <summary>A contended slot pool: medians over the passes.</summary>
/// <param name="Pool">The pool.</param>
/// <param name="Threads">Threads sharing it.</param>
/// <param name="PairsPerSecond">Free + alloc pairs per second, all threads together.</param>
/// <param name="SameKeyReuse">Same-key reuse (keyed pools), 0..1.</param>
/// <param name="Verified">The pool's end state verified.</param>
public sealed record ContendedFigures(string Pool, int Threads, double PairsPerSecond, double? SameKeyReuse, bool Verified);

/// <summary>Everything one <c>veralloc bench report</c> run measured, and where.</summary>
/// <param name="Stamp">Machine, date, commit, load.</param>
/// <param name="Workloads">lolfuzz, then steady-N in increasing N.</param>
/// <param name="Slots">The slot trace at thresholds capacity and 0.</param>
/// <param name="Contended">Contended pools at each thread count.</param>
/// <param name="Settings">How the run was configured (passes, cap, pairs), one line each, for the report's method section.</param>
public sealed record SuiteResults(RunStamp Stamp, IReadOnlyList<WorkloadFigures> Workloads, IReadOnlyList<SlotFigures> Slots,
    IReadOnlyList<ContendedFigures> Contended, IReadOnlyList<string> Settings)
{
    /// <summary>True when every measurement that ran verified (out of memory and "not measured" are legal outcomes).</summary>
    public bool AllVerified =>
        Workloads.All(w => w.Allocators.All(a => a.Verified || a.Outcome is "out of memory" or "not measured"))
        && Slots.All(s => s.Verified) && Contended.All(c => c.Verified);
}
