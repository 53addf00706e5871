using System.Diagnostics;
using System.Globalization;
using System.Text;
using Veralloc.Systematic.Strategies;

namespace Veralloc.Systematic;

/// <summary>
/// Runs a scenario under controlled scheduling: many iterations, each a different interleaving chosen by the
/// strategy, stopping at the first bug.
/// </summary>
/// <example>
/// <code>
/// var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs }, ctx =>
/// {
///     var gate = ctx.CreateLock("counter");
///     var counter = 0;
///     for (var i = 0; i &lt; 2; i++)
///     {
///         ctx.Spawn($"inc{i}", () => { gate.Enter(); counter++; gate.Exit(); });
///     }
///     ctx.AtQuiescence("both increments", () => counter == 2);
/// });
/// result.ThrowIfBugFound();
/// </code>
/// </example>
public static class SystematicTest
{
    /// <summary>Explores <paramref name="scenario"/> under <paramref name="options"/>.</summary>
    /// <param name="options">Strategy, seed, budgets.</param>
    /// <param name="scenario">Declares the threads, locks and checks of one iteration; called once per iteration.</param>
    /// <returns>The statistics and the first bug found, if any (its trace saved under <see cref="TestOptions.TraceDirectory"/>).</returns>
    /// <exception cref="InvalidOperationException">The scenario delegate itself threw during setup.</exception>
    public static TestResult Run(TestOptions options, Action<SystematicContext> scenario)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scenario);
        options.Validate();

        var strategy = CreateStrategy(options);
        var clock = Stopwatch.StartNew();
        var pool = new WorkerPool();
        var driverGate = new SemaphoreSlim(0);
        var decisions = new List<int>();
        var steps = new List<StepRecord>();
        var schedules = new HashSet<ulong>();
        long points = 0;
        var longest = 0;
        var maxThreads = 0;
        var iterations = 0;
        var exhausted = false;
        var timedOut = false;
        BugReport? bug = null;
        var hung = false;
        try
        {
            for (var iteration = 0; iteration < options.Iterations; iteration++)
            {
                if (options.Timeout is { } timeout && clock.Elapsed >= timeout)
                {
                    timedOut = true;
                    break;
                }

                if (!strategy.PrepareIteration(iteration))
                {
                    exhausted = true;
                    break;
                }

                var execution = new Execution(strategy, pool, driverGate, options, decisions, steps);
                try
                {
                    scenario(new SystematicContext(execution, iteration));
                }
                catch (Exception exception)
                {
                    throw new InvalidOperationException($"The scenario's setup threw at iteration {iteration}: {exception.Message}", exception);
                }

                execution.Run();
                iterations++;
                points += execution.SchedulingPoints;
                longest = Math.Max(longest, execution.SchedulingPoints);
                maxThreads = Math.Max(maxThreads, execution.Threads.Count);
                schedules.Add(Hash(decisions));
                strategy.IterationEnded(execution.SchedulingPoints);

                var found = execution.Bug;
                if (found is null && strategy is ReplayStrategy { Unconsumed: > 0 } replay)
                {
                    found = new FoundBug(BugKind.ReplayDivergence, null, $"the program finished with {replay.Unconsumed} decisions of the trace unused", null);
                }

                if (found is not null)
                {
                    bug = CreateReport(found, execution, options, iteration);
                    hung = execution.Hung;
                    break;
                }

                if (options.Progress is { } progress && (iteration & 63) == 63)
                {
                    progress(iterations);
                }
            }

            if (bug is null && !exhausted && !timedOut && strategy is DfsStrategy)
            {
                // The budget ran out exactly at the last schedule or before it: ask whether anything is left.
                exhausted = !strategy.PrepareIteration(options.Iterations);
            }
        }
        finally
        {
            // After a hang a worker may still wake up and touch the gate and the pool: leave both to the GC.
            if (!hung)
            {
                pool.Dispose();
                driverGate.Dispose();
            }
        }

        options.Progress?.Invoke(iterations);
        var statistics = new ExplorationStatistics
        {
            Strategy = options.Strategy,
            Seed = options.Seed,
            Iterations = iterations,
            DistinctSchedules = schedules.Count,
            SchedulingPoints = points,
            MaxStepsPerIteration = longest,
            MaxThreads = maxThreads,
            Elapsed = clock.Elapsed,
            SpaceExhausted = exhausted,
            TimedOut = timedOut,
        };
        return new TestResult(statistics, bug);
    }

    /// <summary>Replays <paramref name="trace"/> once against <paramref name="scenario"/>.</summary>
    /// <param name="trace">The recorded decisions.</param>
    /// <param name="scenario">The same scenario that produced the trace.</param>
    /// <param name="options">Other settings (step bound, invariant checking); strategy and iterations are overridden. Saves no trace unless asked.</param>
    /// <returns>The result: the bug the trace leads to, or none.</returns>
    public static TestResult Replay(ScheduleTrace trace, Action<SystematicContext> scenario, TestOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var replayOptions = (options ?? new TestOptions { TraceDirectory = null }) with
        {
            Strategy = StrategyKind.Replay,
            ReplayTrace = trace,
            Iterations = 1,
            Seed = trace.Seed,
            ScenarioName = options?.ScenarioName ?? trace.Scenario,
        };
        return Run(replayOptions, scenario);
    }

    private static ISchedulingStrategy CreateStrategy(TestOptions options) => options.Strategy switch
    {
        StrategyKind.Random => new RandomStrategy(options.Seed),
        StrategyKind.Pct => new PctStrategy(options.Seed, options.PctDepth),
        StrategyKind.Dfs => new DfsStrategy(options.PreemptionBound),
        StrategyKind.Replay => new ReplayStrategy(options.ReplayTrace!),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Strategy, "Unknown strategy."),
    };

    private static BugReport CreateReport(FoundBug found, Execution execution, TestOptions options, int iteration)
    {
        var threads = execution.Threads;
        var steps = new List<TraceStep>();
        foreach (var step in StepsOf(execution))
        {
            steps.Add(new TraceStep(steps.Count + 1, step.ThreadId, threads[step.ThreadId].Name, step.Operation, step.Kind, step.Target));
        }

        var traceIteration = options.Strategy == StrategyKind.Replay ? options.ReplayTrace!.Iteration : iteration;
        var trace = new ScheduleTrace(DecisionsOf(execution), options.Strategy, options.Seed, traceIteration, options.ScenarioName, found.Kind);
        var report = new BugReport(found.Kind, found.Message, found.ThreadName, found.Exception, trace, steps);
        if (options.TraceDirectory is { } directory)
        {
            var path = Path.Combine(directory, TraceFileName(trace));
            trace.Save(path);
            report.TracePath = Path.GetFullPath(path);
        }

        return report;
    }

    private static IReadOnlyList<StepRecord> StepsOf(Execution execution) => execution.StepLog;

    private static IReadOnlyList<int> DecisionsOf(Execution execution) => execution.DecisionLog;

    private static string TraceFileName(ScheduleTrace trace)
    {
        var name = new StringBuilder();
        foreach (var c in trace.Scenario ?? "scenario")
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return string.Create(CultureInfo.InvariantCulture, $"{name}-{StrategyNames.ToName(trace.Strategy)}-seed{trace.Seed}-iter{trace.Iteration}-{trace.Bug}.trace");
    }

    private static ulong Hash(List<int> decisions)
    {
        // FNV-1a over the decision sequence: two schedules with the same choices hash alike.
        var hash = 14695981039346656037UL;
        foreach (var decision in decisions)
        {
            hash = (hash ^ (uint)decision) * 1099511628211UL;
        }

        return (hash ^ (uint)decisions.Count) * 1099511628211UL;
    }
}
