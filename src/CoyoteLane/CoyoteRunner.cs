using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Coyote;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.SystematicTesting;

namespace Veralloc.CoyoteLane;

/// <summary>A named scenario of the lane: what one iteration does, and whether a bug is the expected outcome.</summary>
/// <param name="Name">The same name as the engine's scenario of the same shape (for example <c>slots/alloc-free-2x3</c>).</param>
/// <param name="Description">One sentence: what races against what.</param>
/// <param name="Body">One iteration: starts workers on <see cref="CoyoteIteration.Spawn"/>, awaits them, checks the end state.</param>
/// <param name="ExpectsBug">True for the mutant gallery.</param>
public sealed record CoyoteScenario(string Name, string Description, Func<CoyoteIteration, Task> Body, bool ExpectsBug = false);

/// <summary>Settings of one lane run; every run is reproducible from its strategy and seed.</summary>
public sealed record CoyoteOptions
{
    /// <summary>The most iterations; DFS stops earlier when the space is exhausted. Default 1000.</summary>
    public uint Iterations { get; init; } = 1000;

    /// <summary>The exploration strategy. Default Coyote's own, the portfolio.</summary>
    public CoyoteStrategy Strategy { get; init; } = CoyoteStrategy.Portfolio;

    /// <summary>The seed of Coyote's random choices.</summary>
    public uint Seed { get; init; }

    /// <summary>Where a bug's trace is saved (created if needed); null saves nothing. Default <c>traces-found/coyote</c>.</summary>
    public string? TraceDirectory { get; init; } = Path.Combine("traces-found", "coyote");

    /// <summary>
    /// Coyote's fine-grained memory-access race checking: a scheduling point at every field access of rewritten code.
    /// Off by default (it multiplies the schedule space); docs/design-notes/0028-coyote-lane.md measures what it finds.
    /// </summary>
    public bool MemoryAccessRaces { get; init; }
}

/// <summary>Counters of one lane run, named as in the engine's statistics.</summary>
/// <param name="Strategy">The strategy.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Iterations">Iterations run, including the one that found a bug.</param>
/// <param name="DistinctSchedules">Distinct schedules among them, as Coyote counts them (its "unique" explored paths).</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
/// <param name="SpaceExhausted">True when DFS stopped before its budget without a bug: it enumerated every schedule.</param>
public sealed record CoyoteStatistics(CoyoteStrategy Strategy, uint Seed, int Iterations, int DistinctSchedules, TimeSpan Elapsed, bool SpaceExhausted)
{
    /// <summary>Iterations per second of wall-clock time.</summary>
    public double IterationsPerSecond => Elapsed > TimeSpan.Zero ? Iterations / Elapsed.TotalSeconds : 0;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"coyote {CoyoteStrategies.Name(Strategy)} seed {Seed}: {Iterations} iterations, {DistinctSchedules} distinct schedules, {Elapsed.TotalSeconds:F2} s, {IterationsPerSecond:F0} iterations/s{(SpaceExhausted ? ", space exhausted" : string.Empty)}");
}

/// <summary>A bug Coyote found: its report, the interleaving that led to it, and the trace that replays it.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Report">Coyote's bug report (the failed check's message).</param>
/// <param name="Interleaving">The failing iteration's steps, worker by worker in the order they ran.</param>
/// <param name="Trace">Coyote's reproducible trace (JSON), for <see cref="CoyoteRunner.Replay"/> or <c>coyote replay</c>.</param>
/// <param name="TracePath">Where the trace was saved, or null.</param>
public sealed record CoyoteBug(string Scenario, string Report, IReadOnlyList<string> Interleaving, string Trace, string? TracePath)
{
    /// <summary>The report, the interleaving and where the trace is, as a test failure shows them.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        text.Append("Coyote found a bug in ").Append(Scenario).Append(": ").AppendLine(Report);
        text.AppendLine("Interleaving (worker: step, in the order they ran):");
        foreach (string step in Interleaving)
        {
            text.Append("  ").AppendLine(step);
        }

        text.Append("Trace: ").AppendLine(TracePath ?? "(not saved)");
        return text.ToString();
    }
}

/// <summary>The outcome of a lane run.</summary>
public sealed class CoyoteResult(CoyoteStatistics statistics, CoyoteBug? bug)
{
    /// <summary>The run's counters.</summary>
    public CoyoteStatistics Statistics { get; } = statistics;

    /// <summary>The bug found, or null.</summary>
    public CoyoteBug? Bug { get; } = bug;

    /// <summary>Throws <see cref="CoyoteBugFoundException"/> when a bug was found.</summary>
    public void ThrowIfBugFound()
    {
        if (Bug is not null)
        {
            throw new CoyoteBugFoundException(Bug);
        }
    }
}

/// <summary>Coyote found a bug; the message has the report, the interleaving and the trace path.</summary>
public sealed class CoyoteBugFoundException(CoyoteBug bug) : Exception(bug.Format())
{
    /// <summary>The bug.</summary>
    public CoyoteBug Bug { get; } = bug;
}

/// <summary>
/// Runs a <see cref="CoyoteScenario"/> under Coyote's <see cref="TestingEngine"/>, after <see cref="RewritingGuard"/>
/// has shown that everything it runs is rewritten.
/// </summary>
public static class CoyoteRunner
{
    /// <summary>Explores <paramref name="scenario"/>; stops at the first bug.</summary>
    /// <exception cref="NotRewrittenException">The scenario or the code under test is not (freshly) rewritten.</exception>
    public static CoyoteResult Run(CoyoteOptions options, CoyoteScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scenario);
        Configuration configuration = CoyoteStrategies.Apply(Base(options.Iterations).WithRandomGeneratorSeed(options.Seed), options.Strategy)
            .WithMemoryAccessRaceCheckingEnabled(options.MemoryAccessRaces);
        return Explore(configuration, options, scenario);
    }

    /// <summary>Replays a trace saved by <see cref="Run"/>: one iteration that follows it decision by decision.</summary>
    /// <param name="trace">The trace text (the JSON <see cref="CoyoteBug.Trace"/>).</param>
    /// <param name="scenario">The scenario that produced it.</param>
    public static CoyoteResult Replay(string trace, CoyoteScenario scenario)
    {
        ArgumentException.ThrowIfNullOrEmpty(trace);
        ArgumentNullException.ThrowIfNull(scenario);
        return Explore(Base(1).WithReproducibleTrace(trace), new CoyoteOptions { Iterations = 1, TraceDirectory = null }, scenario);
    }

    /// <summary>
    /// The settings every lane run shares: telemetry off, and concurrency Coyote does not control is a bug rather
    /// than something it tries to work around (so a missed rewrite cannot pass quietly). Coyote's monitor for hangs it
    /// cannot see reports a "potential deadlock" when no step was taken for <see cref="DeadlockTimeoutMilliseconds"/>;
    /// its default of one second is shorter than a descheduled step on a saturated 2-core machine, where it reported a
    /// healthy scenario once.
    /// </summary>
    private static Configuration Base(uint iterations) => Configuration.Create()
        .WithTestingIterations(iterations)
        .WithTelemetryEnabled(false)
        .WithPartiallyControlledConcurrencyAllowed(false)
        .WithDeadlockTimeout(DeadlockTimeoutMilliseconds)
        .WithVerbosityEnabled(VerbosityLevel.Error);

    /// <summary>How long a run may take no step before Coyote reports a potential deadlock: long enough for a loaded machine, short enough for a real hang to be reported within a test's patience.</summary>
    private const uint DeadlockTimeoutMilliseconds = 10_000;

    private static CoyoteResult Explore(Configuration configuration, CoyoteOptions options, CoyoteScenario scenario)
    {
        RewritingGuard.EnsureRewritten(scenario.Body.Method.Module.Assembly);

        CoyoteIteration? current = null;
        Task Test()
        {
            current = new CoyoteIteration();
            return scenario.Body(current);
        }

        using var engine = TestingEngine.Create(configuration, Test);
        using var log = new MemoryLogger(VerbosityLevel.Error);
        engine.SetLogger(log);
        var clock = Stopwatch.StartNew();
        engine.Run();
        clock.Stop();

        TestReport report = engine.TestReport;
        if (report.InternalErrors.Count > 0)
        {
            throw new InvalidOperationException($"Coyote reported an internal error on {scenario.Name}:\n{string.Join('\n', report.InternalErrors)}\n{log}");
        }

        int iterations = report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths;
        bool exhausted = options.Strategy == CoyoteStrategy.Dfs && report.NumOfFoundBugs == 0 && iterations < options.Iterations;
        var statistics = new CoyoteStatistics(options.Strategy, options.Seed, iterations, report.CoverageInfo.ExploredPaths.Count, clock.Elapsed, exhausted);
        if (report.NumOfFoundBugs == 0)
        {
            return new CoyoteResult(statistics, bug: null);
        }

        string message = report.BugReports.FirstOrDefault() ?? log.ToString();
        string? path = Save(options, scenario, engine.ReproducibleTrace);
        var bug = new CoyoteBug(scenario.Name, message, current?.Steps.ToArray() ?? [], engine.ReproducibleTrace, path);
        if (path is not null)
        {
            File.WriteAllText(Path.ChangeExtension(path, ".txt"), bug.Format());
        }

        return new CoyoteResult(statistics, bug);
    }

    private static string? Save(CoyoteOptions options, CoyoteScenario scenario, string trace)
    {
        if (options.TraceDirectory is null || trace.Length == 0)
        {
            return null;
        }

        Directory.CreateDirectory(options.TraceDirectory);
        string name = string.Create(CultureInfo.InvariantCulture,
            $"{scenario.Name.Replace('/', '_')}.{CoyoteStrategies.Name(options.Strategy)}.seed{options.Seed}.json");
        string path = Path.GetFullPath(Path.Combine(options.TraceDirectory, name));
        File.WriteAllText(path, trace);
        return path;
    }
}
