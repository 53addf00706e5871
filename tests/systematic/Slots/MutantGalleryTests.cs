using System.Diagnostics;
using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;
using Veralloc.Scenarios;
using Veralloc.Scenarios.Mutants;
using Veralloc.Systematic;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Slots;

/// <summary>
/// Every mutant of the gallery is found by PCT and by DFS within 10,000 schedules, and its trace replays to the same
/// failure; a plain real-thread stress test with the same budget is run alongside for comparison (not asserted).
/// </summary>
public sealed class MutantGalleryTests(ITestOutputHelper output)
{
    private const int Budget = 10_000;

    public static TheoryData<string, StrategyKind> MutantsByStrategy
    {
        get
        {
            var data = new TheoryData<string, StrategyKind>();
            foreach (var mutant in ScenarioCatalog.Mutants)
            {
                data.Add(mutant.Name, StrategyKind.Pct);
                data.Add(mutant.Name, StrategyKind.Dfs);
                data.Add(mutant.Name, StrategyKind.Random);
            }

            return data;
        }
    }

    [Fact]
    public void TheGalleryHasAtLeastFiveMutantsOneOfEachKind()
    {
        Assert.True(ScenarioCatalog.Mutants.Count >= 5);
        Assert.All(ScenarioCatalog.Mutants, mutant => Assert.True(mutant.ExpectsBug));
        Assert.Equal(Enum.GetValues<SlotMutation>().Length - 1, ScenarioCatalog.Mutants.Count);
    }

    [Theory]
    [MemberData(nameof(MutantsByStrategy))]
    public void MutantIsFoundWithinBudgetAndItsTraceReplaysTheSameFailure(string name, StrategyKind strategy)
    {
        var mutant = ScenarioCatalog.Find(name)!;
        var options = new TestOptions { Strategy = strategy, Seed = 1, Iterations = Budget, PreemptionBound = 2, ScenarioName = name, TraceDirectory = null };
        var result = SystematicTest.Run(options, mutant.Build);
        output.WriteLine($"{name} under {strategy}: {result.Statistics}");

        var bug = Assert.IsType<BugReport>(result.Bug);
        output.WriteLine(bug.Format(maxSteps: 40));
        Assert.True(bug.Kind is BugKind.InvariantViolation or BugKind.AssertionFailure or BugKind.UnhandledException or BugKind.DataRace, bug.Kind.ToString());

        var replayed = SystematicTest.Replay(ScheduleTrace.Parse(bug.Trace.ToText()), mutant.Build);
        var again = Assert.IsType<BugReport>(replayed.Bug);
        Assert.Equal(bug.Kind, again.Kind);
        Assert.Equal(bug.Message, again.Message);
        Assert.Equal(bug.Steps, again.Steps);
    }

    [Fact]
    public void MutantsPassSingleThreadedUseWithInvariantsAfterEveryOperation()
    {
        foreach (var mutation in Enum.GetValues<SlotMutation>())
        {
            var pool = new MutantSlotPool(3, 1, new ThreadingLock(), mutation);
            var key = new SlotAffinity(1, 0);
            Assert.True(pool.TryAllocate(key, out var a));
            pool.CheckInvariants();
            Assert.True(pool.TryAllocate(null, out var b));
            pool.CheckInvariants();
            pool.Free(a, 10);
            pool.CheckInvariants();
            pool.Free(b, 20);
            pool.CheckInvariants();
            Assert.True(pool.TryAllocate(key, out var again));
            Assert.Equal(a, again);
            pool.CheckInvariants();
            Assert.True(pool.TryAllocateAffineAndClear(key, out _) is false);
            pool.Free(again, 5);
            Assert.True(pool.TryAllocateAffineAndClear(key, out var cleared));
            Assert.Equal(a, cleared);
            pool.CheckInvariants();
            Assert.Equal(20, pool.UnusedBytesResident);
            Assert.Equal(2, pool.EmptySlotCount);
        }
    }

    /// <summary>
    /// The same shape (two threads: alloc, free, alloc on a simple pool of 2) on real threads, as many times as the
    /// engine's budget. Timing decides whether a mutant breaks, so this only reports what it saw.
    /// </summary>
    [Fact]
    public void PlainStressWithTheSameBudgetIsReportedForComparison()
    {
        var clock = Stopwatch.StartNew();
        foreach (var mutation in Enum.GetValues<SlotMutation>())
        {
            var failures = StressFailures(mutation, iterations: Budget);
            output.WriteLine($"stress {mutation}: {failures} of {Budget} real-thread runs showed the bug");
        }

        output.WriteLine($"stress total {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static int StressFailures(SlotMutation mutation, int iterations)
    {
        var failures = 0;
        MutantSlotPool? pool = null;
        var owner = new int[2];
        var errors = new string?[2];
        using var start = new Barrier(3);
        var keyed = mutation == SlotMutation.UnlinkInTwoSections;
        var threads = new Thread[2];
        for (var t = 0; t < 2; t++)
        {
            var me = t;
            threads[t] = new Thread(() =>
            {
                for (var i = 0; i < iterations; i++)
                {
                    start.SignalAndWait();
                    try
                    {
                        SlotAffinity? key = keyed ? new SlotAffinity(me + 1, 0) : null;
                        errors[me] = null;
                        if (!pool!.TryAllocate(key, out var first) || Interlocked.CompareExchange(ref owner[first], me + 1, 0) != 0)
                        {
                            errors[me] = "first alloc failed or slot owned twice";
                        }
                        else
                        {
                            Volatile.Write(ref owner[first], 0);
                            pool.Free(first, 8L * (me + 1));
                            if (!pool.TryAllocate(key, out var second) || Interlocked.CompareExchange(ref owner[second], me + 1, 0) != 0)
                            {
                                errors[me] = "second alloc failed or slot owned twice";
                            }
                        }
                    }
                    catch (Exception exception)
                    {
                        errors[me] = exception.Message;
                    }

                    start.SignalAndWait();
                }
            })
            { IsBackground = true };
            threads[t].Start();
        }

        for (var i = 0; i < iterations; i++)
        {
            pool = new MutantSlotPool(2, mutation == SlotMutation.UnlinkInTwoSections ? 2 : 0, new ThreadingLock(), mutation);
            Array.Clear(owner);
            start.SignalAndWait();
            start.SignalAndWait();
            var broken = errors[0] is not null || errors[1] is not null;
            try
            {
                pool.CheckInvariants();
            }
            catch (Veralloc.Invariants.InvariantViolationException)
            {
                broken = true;
            }

            failures += broken ? 1 : 0;
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        return failures;
    }
}
