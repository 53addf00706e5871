using Veralloc.Systematic;
using Veralloc.Systematic.Minimization;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Minimization;

/// <summary>ddmin on plain lists, and delta debugging alone (no DFS phase) shortening a noisy witness of a toy program.</summary>
public sealed class DeltaDebuggingTests(ITestOutputHelper output)
{
    [Fact]
    public void DdminIsolatesTheItemsThatTogetherFail()
    {
        var failing = new HashSet<int> { 3, 11, 17 };
        var tests = 0;
        var result = DeltaDebugging.Minimize(
            Enumerable.Range(0, 20).ToArray(),
            candidate =>
            {
                tests++;
                return failing.IsSubsetOf(candidate) ? candidate : null;
            },
            () => true);

        Assert.Equal([3, 11, 17], result);
        output.WriteLine($"{tests} tests");
        Assert.InRange(tests, 1, 200);
    }

    [Fact]
    public void DdminResultIsOneMinimal()
    {
        // Fails when the list holds at least two even numbers and one multiple of five: many minimal answers, each of three items.
        static bool Fails(IReadOnlyList<int> list) => list.Count(x => x % 2 == 0) >= 2 && list.Any(x => x % 5 == 0);
        var result = DeltaDebugging.Minimize(Enumerable.Range(1, 30).ToArray(), candidate => Fails(candidate) ? candidate : null, () => true);

        Assert.True(Fails(result));
        for (var i = 0; i < result.Count; i++)
        {
            Assert.False(Fails(result.Where((_, index) => index != i).ToArray()), $"dropping item {result[i]} of [{string.Join(", ", result)}] still fails");
        }
    }

    [Fact]
    public void DdminContinuesFromTheJudgesAnswerAndStopsWhenTheBudgetDoes()
    {
        // The judge answers with a canonical form (sorted, without duplicates), as the minimiser answers with the run's decisions.
        var result = DeltaDebugging.Minimize(
            [9, 1, 9, 4, 1, 7],
            candidate => candidate.Contains(4) && candidate.Contains(9) ? candidate.Distinct().Order().ToArray() : null,
            () => true);
        Assert.Equal([4, 9], result);

        var budget = 3;
        var stopped = DeltaDebugging.Minimize(Enumerable.Range(0, 64).ToArray(), candidate => candidate.Contains(63) ? candidate : null, () => budget-- > 0);
        Assert.Contains(63, stopped);
        Assert.True(stopped.Count > 1, "three tests cannot isolate one item of 64");
    }

    [Fact]
    public void DeltaDebuggingAloneDropsTheNoiseFromARandomWitness()
    {
        var found = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Random, Seed = 5, Iterations = 1000, ScenarioName = "toy-noisy-lost-update", TraceDirectory = null }, NoisyLostUpdate).Bug;
        Assert.NotNull(found);
        Assert.Equal(BugKind.InvariantViolation, found.Kind);
        Assert.Contains(found.Steps, step => step.ThreadName == "noise");

        var ddminOnly = new MinimizationOptions { SchedulesPerBound = 0, ShortestSearchSchedules = 0 };
        var result = WitnessMinimizer.Minimize(found.Trace, NoisyLostUpdate, ddminOnly);
        output.WriteLine(found.Format());
        output.WriteLine(result.ToString());
        output.WriteLine(result.Minimized.Format());

        Assert.Equal(BugKind.InvariantViolation, result.Minimized.Kind);
        Assert.DoesNotContain(result.Minimized.Steps, step => step.ThreadName == "noise");
        Assert.True(result.After.Steps < result.Before.Steps, result.ToString());
        Assert.True(result.After.Preemptions <= result.Before.Preemptions, result.ToString());
        Assert.False(result.FewestPreemptionsProven, "no DFS ran, so nothing about preemptions is proven");
        Assert.False(result.ShortestProven);

        // The inc0 read, inc1's whole increment, inc0's stale write: one preemption, and nothing of the noise thread.
        Assert.Equal(1, result.After.Preemptions);
        Assert.Equal(BugKind.InvariantViolation, SystematicTest.Replay(result.Minimized.Trace, NoisyLostUpdate).Bug?.Kind);
    }

    /// <summary>
    /// The split-counter lost update of ToyPrograms, checked at every point (so the bug shows as soon as a write is lost),
    /// beside a thread that only takes and releases a lock of its own: any step of it in a witness is noise.
    /// </summary>
    private static void NoisyLostUpdate(SystematicContext ctx)
    {
        var gate = ctx.CreateLock("counter");
        var counter = 0;
        var writes = 0;
        for (var i = 0; i < 2; i++)
        {
            ctx.Spawn($"inc{i}", () =>
            {
                gate.Enter();
                var seen = counter;
                gate.Exit();
                gate.Enter();
                counter = seen + 1;
                writes++;
                gate.Exit();
            });
        }

        var other = ctx.CreateLock("other");
        ctx.Spawn("noise", () =>
        {
            for (var i = 0; i < 8; i++)
            {
                other.Enter();
                other.Exit();
            }
        });
        ctx.AddInvariant("no write lost", () => counter == writes);
    }
}
