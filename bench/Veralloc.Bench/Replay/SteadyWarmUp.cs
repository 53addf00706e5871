using System.Diagnostics;
using System.Globalization;

namespace Veralloc.Bench.Replay;

/// <summary>How an untimed warm-up ended.</summary>
/// <param name="Passes">Warm-up passes run, the first (checked) one included.</param>
/// <param name="Steady">True when the last two passes were within the tolerance; false when the cap stopped it.</param>
/// <param name="LastDifference">|last − previous| ÷ the smaller of the two, or NaN when fewer than two comparable passes ran.</param>
/// <param name="Milliseconds">Wall time the warm-up took, the first pass and the pause included.</param>
public readonly record struct WarmUpOutcome(int Passes, bool Steady, double LastDifference, double Milliseconds)
{
    /// <summary>The outcome of a disabled warm-up: one pass, nothing compared (unit tests).</summary>
    public static WarmUpOutcome SinglePass { get; } = new(1, Steady: false, double.NaN, 0);

    /// <summary>One line for reports: steady after how many passes, or why not.</summary>
    public override string ToString() =>
        double.IsNaN(LastDifference) && Passes == 1 ? "1 pass (no further warm-up)"
        : double.IsNaN(LastDifference) ? string.Create(CultureInfo.InvariantCulture, $"NOT steady: one pass outlasted the cap, nothing compared ({Passes} passes, {Milliseconds / 1000:F1} s)")
        : Steady ? string.Create(CultureInfo.InvariantCulture, $"steady after {Passes} passes (last two {LastDifference:P1} apart)")
        : string.Create(CultureInfo.InvariantCulture, $"NOT steady: stopped at the cap after {Passes} passes, {Milliseconds / 1000:F1} s (last two {LastDifference:P1} apart)");
}

/// <summary>
/// The warm-up protocol every replayer shares (docs/design-notes/0061-benchmark-method.md): after the first, checked
/// pass, <b>tier-up passes</b> until the budget and two passes are spent, a pause for the runtime's background tier-1
/// compilations to be installed, then <b>steady passes</b>, each exactly like a timed one, until two successive ones
/// are within the tolerance of each other, or the cap is reached (reported, never hidden).
/// </summary>
public static class SteadyWarmUp
{
    /// <summary>Two successive passes within 3 % of each other count as steady.</summary>
    public const double DefaultTolerance = 0.03;

    /// <summary>The cap on the steady passes: 10 s, after which timing starts anyway and the result says it was not steady.</summary>
    public const int DefaultCapMilliseconds = 10_000;

    /// <summary>No warm-up phase runs more passes than this, whatever the budget (a trace of a few ops takes microseconds).</summary>
    public const int MaxPassesPerPhase = 1000;

    // Long enough for the runtime's background tier-1 compilations queued during the tier-up passes to be installed.
    private const int TierUpSettleMilliseconds = 200;

    /// <summary>Runs the two phases after the first pass.</summary>
    /// <param name="tierUpPass">One untimed pass; false when it failed (the caller keeps the failure).</param>
    /// <param name="steadyPass">One pass timed as a timed pass is; its milliseconds, or NaN when it failed.</param>
    /// <param name="options">Budget, tolerance and cap.</param>
    /// <param name="started">When the warm-up (its first pass) started, a <see cref="Stopwatch"/> timestamp.</param>
    /// <returns>How it ended; <see cref="WarmUpOutcome.SinglePass"/> when the budget is 0.</returns>
    public static WarmUpOutcome Run(Func<bool> tierUpPass, Func<double> steadyPass, ReplayOptions options, long started)
    {
        ArgumentNullException.ThrowIfNull(tierUpPass);
        ArgumentNullException.ThrowIfNull(steadyPass);
        if (options.WarmUpMilliseconds <= 0)
        {
            return WarmUpOutcome.SinglePass;
        }

        int passes = 1;
        for (int phasePasses = 0; phasePasses < MaxPassesPerPhase && (passes < 2 || Elapsed(started) < options.WarmUpMilliseconds); phasePasses++)
        {
            passes++;
            if (!tierUpPass())
            {
                return new WarmUpOutcome(passes, false, double.NaN, Elapsed(started));
            }
        }

        Thread.Sleep(TierUpSettleMilliseconds);

        // The cap counts from here: a slow checked first pass (--check 1) must not leave no room for steady passes.
        long steadyStarted = Stopwatch.GetTimestamp();
        double previous = double.NaN;
        double difference = double.NaN;
        for (int phasePasses = 0; phasePasses < MaxPassesPerPhase; phasePasses++)
        {
            passes++;
            double current = steadyPass();
            if (double.IsNaN(current))
            {
                return new WarmUpOutcome(passes, false, difference, Elapsed(started));
            }

            if (!double.IsNaN(previous))
            {
                difference = RelativeDifference(previous, current);
                if (difference <= options.SteadyTolerance)
                {
                    return new WarmUpOutcome(passes, true, difference, Elapsed(started));
                }
            }

            // A pass that alone outlasts the cap (an O(n) allocator on a big trace) is not worth a second one: compilation
            // effects are long amortised over it, and the cap is there to bound such runs.
            if (Elapsed(steadyStarted) >= options.WarmUpCapMilliseconds)
            {
                break;
            }

            previous = current;
        }

        return new WarmUpOutcome(passes, false, difference, Elapsed(started));
    }

    /// <summary>|a − b| ÷ the smaller of the two (0 when both are 0).</summary>
    /// <returns>The relative difference.</returns>
    public static double RelativeDifference(double a, double b)
    {
        double smaller = Math.Min(a, b);
        return smaller <= 0 ? (a == b ? 0 : double.PositiveInfinity) : Math.Abs(a - b) / smaller;
    }

    private static double Elapsed(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
