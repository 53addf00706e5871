using System.Diagnostics;
using System.Globalization;
using System.Text;
using Veralloc.Systematic.Dpor;
using Veralloc.Systematic.Minimization;
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

        var result = RunStrategy(options, scenario, CreateStrategy(options), passOver: null);
        return options.MinimizeWitness && result.Bug is { } found && WitnessMinimizer.CanMinimize(found.Kind)
            ? new TestResult(result.Statistics, WitnessMinimizer.MinimizeFound(found, scenario, options))
            : result;
    }

    /// <summary>
    /// Explores under <paramref name="strategy"/>. A bug for which <paramref name="passOver"/> (given its kind and the
    /// number of steps that led to it) returns true ends its iteration but not the run: exploration goes on to the next
    /// schedule, as the minimiser needs when it looks for one kind of bug, or for a shorter witness of it.
    /// </summary>
    internal static TestResult RunStrategy(TestOptions options, Action<SystematicContext> scenario, ISchedulingStrategy strategy, Func<BugKind, int, bool>? passOver)
    {
        var tracePoints = options.Strategy == StrategyKind.Replay ? options.ReplayTrace!.Points : null;
        var clock = Stopwatch.StartNew();
        var pool = new WorkerPool();
        var driverGate = new SemaphoreSlim(0);
        var current = new IterationBuffers();
        var previous = new IterationBuffers();
        var rerun = new IterationBuffers();
        var schedules = new HashSet<ulong>();
        var events = strategy is DporStrategy reduction ? reduction.Events : options.CountEquivalenceClasses ? new EventLog() : null;
        var classes = new HashSet<ulong>();
        var pruned = 0;
        long points = 0;
        var longest = 0;
        var maxThreads = 0;
        var iterations = 0;
        var fairIterations = 0;
        IterationBuffers? first = null;
        var exhausted = false;
        var timedOut = false;
        BugReport? bug = null;
        var unusedDecisions = 0;
        UncontrolledWork.BeginRun();
        var handoff = new HandoffController(pool, options.Handoff);
        try
        {
            for (var iteration = 0; iteration < options.Iterations; iteration++)
            {
                if (options.Timeout is { } timeout && clock.Elapsed >= timeout)
                {
                    timedOut = true;
                    break;
                }

                if (options.Shard is { } shard && strategy is not DfsStrategy && !shard.OwnsIteration(iteration))
                {
                    continue;
                }

                if (!strategy.PrepareIteration(iteration))
                {
                    exhausted = true;
                    break;
                }

                var expected = tracePoints ?? (strategy.ReplayedPoints > 0 ? previous.Points : null);
                var compareCount = tracePoints?.Count ?? strategy.ReplayedPoints;
                var execution = RunIteration(strategy, pool, driverGate, options, current, expected, compareCount, scenario, iteration, events);
                iterations++;
                points += execution.SchedulingPoints;
                longest = Math.Max(longest, execution.SchedulingPoints);
                maxThreads = Math.Max(maxThreads, execution.Threads.Count);
                fairIterations += execution.WentFair ? 1 : 0;
                schedules.Add(Hash(current.Decisions));
                pruned += execution.Pruned ? 1 : 0;

                if (events is not null && !execution.Pruned && execution.Bug is null)
                {
                    classes.Add(events.Analyze().Fingerprint());
                }

                strategy.IterationEnded(options.FairAfterSteps is { } fair ? Math.Min(execution.SchedulingPoints, fair) : execution.SchedulingPoints);
                handoff.IterationEnded(execution.SchedulingPoints);
                if (options.ScheduleObserver is { } observe && !execution.Pruned && execution.Bug is null && (strategy is not DfsStrategy dfs || dfs.OwnsLastIteration))
                {
                    observe(current.Decisions.ToArray());
                }

                var found = execution.Bug;
                var reported = execution;

                // Counted whether or not a bug ended the run: a trace that reproduces its bug but holds more decisions
                // than the run used is not the record of that run, and the caller must be able to say so.
                unusedDecisions = strategy is ReplayStrategy { Unconsumed: var unconsumed } ? unconsumed : 0;
                IReadOnlyList<TraceStep>? expectedSteps = found is { Kind: BugKind.Nondeterminism } && expected == previous.Points ? StepsOf(previous.Steps, previous.Points.ThreadNames) : null;
                if (found is null && strategy is ReplayStrategy { Unconsumed: > 0 } replay)
                {
                    found = new FoundBug(BugKind.ReplayDivergence, null, $"the program finished with {replay.Unconsumed} decisions of the trace unused", null);
                }
                else if (found is null && tracePoints is not null && current.Points.Count != tracePoints.Count)
                {
                    found = new FoundBug(BugKind.Nondeterminism, null, $"the program took {current.Points.Count} scheduling points under the trace's schedule, but the traced run took {tracePoints.Count}", null);
                }
                else if (found is null && !execution.Hung && !execution.Pruned && (options.CheckDeterminism || (iterations == 1 && tracePoints is null)))
                {
                    // Every run repeats its first schedule at once: a first iteration that differs from the rest (a lazy
                    // initialisation, a cache warmed by the run itself) is the commonest nondeterminism, and it would
                    // make every later verdict about a different program.
                    (found, reported, expectedSteps) = Rerun(pool, driverGate, options, current, rerun, scenario, iteration);
                    if (found is null && iterations == 1)
                    {
                        first = Snapshot(current);
                    }
                }

                if (found is not null && passOver is not null && !execution.Hung && !reported.Hung && passOver(found.Kind, reported.StepLog.Count))
                {
                    found = null;
                }

                if (found is not null)
                {
                    bug = CreateReport(found, reported, options, iteration, expectedSteps);
                    break;
                }

                (current, previous) = (previous, current);
                if (options.Progress is { } progress && (iteration & 63) == 63)
                {
                    progress(iterations);
                }
            }

            if (bug is null && !exhausted && !timedOut && strategy is DfsStrategy or DporStrategy)
            {
                // The budget ran out exactly at the last schedule or before it: ask whether anything is left.
                exhausted = !strategy.PrepareIteration(options.Iterations);
            }

            if (bug is null && exhausted && first is not null)
            {
                // Before claiming the space exhausted, run the first schedule once more: state that drifted during the
                // run (a cache, a counter kept between iterations) would mean the space explored was not one program's.
                var (found, reported, expectedSteps) = Rerun(pool, driverGate, options, first, rerun, scenario, 0);
                if (found is not null)
                {
                    bug = CreateReport(found, reported, options, 0, expectedSteps);
                    exhausted = false;
                }
            }
        }
        finally
        {
            handoff.Stop();
            UncontrolledWork.EndRun();

            // The driver gate is never disposed: a worker blocked outside the engine (a Thread.Sleep the watchdog
            // reported, or a hang) may wake after the run and release it; a SemaphoreSlim whose AvailableWaitHandle is
            // never read holds nothing the GC cannot reclaim. Such a worker's return to the disposed pool stops it.
            pool.Dispose();
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
            FairIterations = fairIterations,
            HandoffSwitches = handoff.Switches,
            PrunedIterations = pruned,
            EquivalenceClasses = events is null ? null : classes.Count,
        };
        return new TestResult(statistics, bug, unusedDecisions);
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
            CheckDeterminism = false,
        };
        if (options is null && trace.Settings is { } settings)
        {
            // Replay under the step bounds the trace was recorded with, so a livelock or step bound recurs at the same point.
            replayOptions = replayOptions with { MaxSteps = settings.MaxSteps, FairAfterSteps = settings.FairAfterSteps };
        }

        return Run(replayOptions, scenario);
    }

    private static ISchedulingStrategy CreateStrategy(TestOptions options) => options.Strategy switch
    {
        StrategyKind.Random => new RandomStrategy(options.Seed),
        StrategyKind.Pct => new PctStrategy(options.Seed, options.PctDepth),
        StrategyKind.Dfs => new DfsStrategy(options.PreemptionBound, options.Shard),
        StrategyKind.Dpor => new DporStrategy(),
        StrategyKind.Replay => new ReplayStrategy(options.ReplayTrace!),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Strategy, "Unknown strategy."),
    };

    private static Execution RunIteration(ISchedulingStrategy strategy, WorkerPool pool, SemaphoreSlim driverGate, TestOptions options, IterationBuffers buffers, PointLog? expected, int compareCount, Action<SystematicContext> scenario, int iteration, EventLog? events = null)
    {
        var execution = new Execution(strategy, pool, driverGate, options, buffers, expected, compareCount, events);
        UncontrolledWork.Enter(execution.SetupFlow);
        try
        {
            scenario(new SystematicContext(execution, iteration));
        }
        catch (ExecutionCanceledException)
        {
            // The setup itself found the bug (a nondeterministic random draw): the iteration reports it.
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException($"The scenario's setup threw at iteration {iteration}: {exception.Message}", exception);
        }
        finally
        {
            UncontrolledWork.Leave();
        }

        execution.Run();
        buffers.Points.SetThreadNames(execution.Threads.Select(thread => thread.Name));
        return execution;
    }

    /// <summary>
    /// Runs an iteration again under its own choices and compares every scheduling point with <paramref name="earlier"/>;
    /// returns the nondeterminism found (with the execution to report it from and the earlier run's steps), or no bug.
    /// The rerun fills <paramref name="rerun"/>, buffers kept for reruns alone.
    /// </summary>
    private static (FoundBug? Bug, Execution Rerun, IReadOnlyList<TraceStep>? ExpectedSteps) Rerun(WorkerPool pool, SemaphoreSlim driverGate, TestOptions options, IterationBuffers earlier, IterationBuffers rerun, Action<SystematicContext> scenario, int iteration)
    {
        var replay = new ReplayStrategy(earlier.Decisions.ToArray());
        replay.PrepareIteration(iteration);
        var execution = RunIteration(replay, pool, driverGate, options, rerun, earlier.Points, earlier.Points.Count, scenario, iteration);
        FoundBug? found = execution.Bug switch
        {
            null when rerun.Points.Count != earlier.Points.Count =>
                new FoundBug(BugKind.Nondeterminism, null, $"the program took {rerun.Points.Count} scheduling points when run again under the same schedule, but {earlier.Points.Count} the first time", null),
            null => null,
            { Kind: BugKind.Nondeterminism } bug => bug,
            var bug => new FoundBug(BugKind.Nondeterminism, bug.ThreadName, $"the program ended without a bug, but run again under the same schedule it found {bug.Kind}: {bug.Message}", bug.Exception),
        };
        return (found, execution, found is null ? null : StepsOf(earlier.Steps, earlier.Points.ThreadNames));
    }

    private static IterationBuffers Snapshot(IterationBuffers buffers)
    {
        var copy = new IterationBuffers();
        copy.Decisions.AddRange(buffers.Decisions);
        copy.Steps.AddRange(buffers.Steps);
        copy.Points.CopyFrom(buffers.Points);
        return copy;
    }

    private static BugReport CreateReport(FoundBug found, Execution execution, TestOptions options, int iteration, IReadOnlyList<TraceStep>? expectedSteps)
    {
        var names = execution.Threads.Select(thread => thread.Name).ToArray();
        var steps = StepsOf(execution.StepLog, names);
        var traceIteration = options.Strategy == StrategyKind.Replay ? options.ReplayTrace!.Iteration : iteration;
        var settings = new TraceSettings(options.MaxSteps, options.FairAfterSteps is { } fair && fair < options.MaxSteps ? fair : null);
        var trace = ScheduleTrace.FromExecution(execution.DecisionLog, options.Strategy, options.Seed, traceIteration, options.ScenarioName, found.Kind, execution.Points, settings);
        var report = new BugReport(found.Kind, found.Message, found.ThreadName, found.Exception, trace, steps, found.Kind == BugKind.Nondeterminism ? expectedSteps : null);
        if (options.TraceDirectory is { } directory)
        {
            var path = Path.Combine(directory, TraceFileName(trace));
            try
            {
                trace.Save(path);
                report.TracePath = Path.GetFullPath(path);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The bug found matters more than the file: report it with the reason the trace is missing.
                report.TraceSaveError = $"cannot save the trace to '{path}': {exception.Message}";
            }
        }

        return report;
    }

    private static List<TraceStep> StepsOf(IReadOnlyList<StepRecord> records, IReadOnlyList<string> names)
    {
        var steps = new List<TraceStep>(records.Count);
        foreach (var step in records)
        {
            var name = step.ThreadId < 0 ? "setup" : step.ThreadId < names.Count ? names[step.ThreadId] : $"t{step.ThreadId}";
            steps.Add(new TraceStep(steps.Count + 1, step.ThreadId, name, step.Operation, step.Kind, step.Target));
        }

        return steps;
    }

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
