using System.Diagnostics;
using Veralloc.Bench.Replay;

namespace Veralloc.Tests.Unit.Bench;

/// <summary>The warm-up protocol, driven by scripted pass times (nothing here times real work).</summary>
public sealed class SteadyWarmUpTests
{
    private static readonly ReplayOptions s_options = new(WarmUpMilliseconds: 1, WarmUpCapMilliseconds: 60_000);

    [Fact]
    public void ItEndsAtTheFirstTwoSuccessivePassesWithinTheTolerance()
    {
        var times = new Queue<double>([10.0, 8.0, 7.0, 7.1, 99.0]);
        int tierUps = 0;

        WarmUpOutcome outcome = SteadyWarmUp.Run(() => ++tierUps > 0, times.Dequeue, s_options, Stopwatch.GetTimestamp());

        Assert.True(outcome.Steady);
        Assert.Equal(1 + tierUps + 4, outcome.Passes);
        Assert.Equal(0.1 / 7.0, outcome.LastDifference, precision: 9);
        Assert.Equal([99.0], times);
        Assert.StartsWith("steady after", outcome.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ItStopsAtTheCapAndSaysSo()
    {
        int steadyPasses = 0;
        ReplayOptions capped = s_options with { WarmUpCapMilliseconds = 500 };

        // The second pass takes past the cap and still differs from the first by 100 %.
        WarmUpOutcome outcome = SteadyWarmUp.Run(() => true, () =>
        {
            if (++steadyPasses == 2)
            {
                Thread.Sleep(600);
            }

            return steadyPasses % 2 == 0 ? 20.0 : 10.0;
        }, capped, Stopwatch.GetTimestamp());

        Assert.False(outcome.Steady);
        Assert.Equal(2, steadyPasses);
        Assert.Equal(1.0, outcome.LastDifference);
        Assert.StartsWith("NOT steady: stopped at the cap", outcome.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void APassLongerThanTheCapIsNotRepeatedToBeCompared()
    {
        int steadyPasses = 0;
        ReplayOptions capped = s_options with { WarmUpCapMilliseconds = 0 };

        WarmUpOutcome outcome = SteadyWarmUp.Run(() => true, () => ++steadyPasses, capped, Stopwatch.GetTimestamp());

        Assert.Equal(1, steadyPasses);
        Assert.False(outcome.Steady);
        Assert.True(double.IsNaN(outcome.LastDifference));
        Assert.StartsWith("NOT steady: one pass outlasted the cap", outcome.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AFailedPassEndsTheWarmUpUnsteady()
    {
        int steadyPasses = 0;

        WarmUpOutcome afterTierUp = SteadyWarmUp.Run(() => false, () => ++steadyPasses, s_options, Stopwatch.GetTimestamp());
        WarmUpOutcome afterSteady = SteadyWarmUp.Run(() => true, () => double.NaN, s_options, Stopwatch.GetTimestamp());

        Assert.False(afterTierUp.Steady);
        Assert.Equal(0, steadyPasses);
        Assert.False(afterSteady.Steady);
    }

    [Fact]
    public void AZeroBudgetRunsNothingMore()
    {
        WarmUpOutcome outcome = SteadyWarmUp.Run(() => throw new InvalidOperationException("no tier-up pass"), () => throw new InvalidOperationException("no steady pass"),
            s_options with { WarmUpMilliseconds = 0 }, Stopwatch.GetTimestamp());

        Assert.Equal(WarmUpOutcome.SinglePass, outcome);
    }

    [Theory]
    [InlineData(100.0, 103.0, 0.03)]
    [InlineData(103.0, 100.0, 0.03)]
    [InlineData(0.0, 0.0, 0.0)]
    public void RelativeDifferenceIsTakenAgainstTheSmallerPass(double a, double b, double expected) =>
        Assert.Equal(expected, SteadyWarmUp.RelativeDifference(a, b), precision: 12);
}
