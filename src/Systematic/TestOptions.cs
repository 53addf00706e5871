namespace Veralloc.Systematic;

/// <summary>Settings of one systematic test run. Every run is reproducible from its strategy and seed.</summary>
public sealed record TestOptions
{
    /// <summary>The most iterations (schedules) to explore; DFS stops earlier when the space is exhausted. Default 1000.</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>The exploration strategy. Default <see cref="StrategyKind.Random"/>.</summary>
    public StrategyKind Strategy { get; init; } = StrategyKind.Random;

    /// <summary>The seed of the random and PCT strategies; iteration <c>i</c> uses a seed derived from it and <c>i</c>.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// The most scheduling points one iteration may take before it is reported as
    /// <see cref="BugKind.StepBoundExceeded"/> (a possible livelock). Default 10,000.
    /// </summary>
    public int MaxSteps { get; init; } = 10_000;

    /// <summary>
    /// DFS only: the most preemptions (switches away from a thread that could have continued) per schedule;
    /// null explores without a bound. Default 2. <see cref="StrategyKind.Dpor"/> never bounds preemptions.
    /// </summary>
    public int? PreemptionBound { get; init; } = 2;

    /// <summary>
    /// Records what every step touches and counts the equivalence classes (schedules up to reordering of independent
    /// steps) the iterations cover, in <see cref="ExplorationStatistics.EquivalenceClasses"/>, under any strategy: for
    /// example how many classes DFS's schedules fall into. Always on for <see cref="StrategyKind.Dpor"/>. Default off.
    /// </summary>
    public bool CountEquivalenceClasses { get; init; }

    /// <summary>
    /// Explores only this part of the space (see <see cref="Systematic.Shard"/>): N jobs with shards 1/N ... N/N together
    /// cover the unsharded run once. Null (the default) explores everything. Not supported by <see cref="StrategyKind.Dpor"/>.
    /// </summary>
    public Shard? Shard { get; init; }

    /// <summary>Told the decisions of every complete schedule this run owns (tests compare shards with unsharded runs).</summary>
    internal Action<IReadOnlyList<int>>? ScheduleObserver { get; init; }

    /// <summary>PCT only: the bug depth <c>d</c> targeted; the strategy places <c>d - 1</c> priority change points. Default 3.</summary>
    public int PctDepth { get; init; } = 3;

    /// <summary>Stops exploring (without a bug) once the run has taken this long; null for no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// How long one iteration may run without reaching its end; a logical thread that blocks on an uncontrolled
    /// primitive or spins without a scheduling point is reported as <see cref="BugKind.Hang"/>. Default 30 s.
    /// </summary>
    public TimeSpan IterationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The trace to follow when <see cref="Strategy"/> is <see cref="StrategyKind.Replay"/>.</summary>
    public ScheduleTrace? ReplayTrace { get; init; }

    /// <summary>Where the trace of a bug is saved; null saves nothing. Default <c>traces-found</c> under the current directory.</summary>
    public string? TraceDirectory { get; init; } = "traces-found";

    /// <summary>A name for the scenario, recorded in traces and reports.</summary>
    public string? ScenarioName { get; init; }

    /// <summary>When true (default) invariants run at every scheduling point; when false only at quiescence.</summary>
    public bool CheckInvariantsAtEveryPoint { get; init; } = true;

    /// <summary>Called on the test thread every few iterations with the number of iterations completed so far.</summary>
    public Action<int>? Progress { get; init; }

    /// <summary>
    /// When true, every iteration that ends without a bug is run a second time under the same choices and its scheduling
    /// points (enabled threads, each one's pending step, random values) compared with the first run; any difference is
    /// reported as <see cref="BugKind.Nondeterminism"/>. Doubles the cost. Default false (DFS and replay always compare the
    /// prefix they repeat).
    /// </summary>
    public bool CheckDeterminism { get; init; }

    /// <summary>
    /// After this many scheduling points an iteration's schedule turns fair: the strategy stops choosing and the enabled
    /// threads take turns (round robin), so a correct spin or poll loop ends. An iteration that reaches
    /// <see cref="MaxSteps"/> anyway is a livelock (<see cref="BugKind.LivenessViolation"/>). Null (or a value not below
    /// <see cref="MaxSteps"/>) turns fairness off: the step bound is then <see cref="BugKind.StepBoundExceeded"/>.
    /// Default 1,000.
    /// </summary>
    public int? FairAfterSteps { get; init; } = 1_000;

    /// <summary>
    /// The most scheduling points of the fair phase a <see cref="LivenessMonitor"/> may stay hot before it is reported.
    /// Default 2,000.
    /// </summary>
    public int LivenessTemperatureThreshold { get; init; } = 2_000;

    /// <summary>
    /// How long the running logical thread may stay blocked in a wait the engine does not control (a lock statement,
    /// <c>SemaphoreSlim</c>, <c>Task.Wait</c>, <c>Thread.Sleep</c>) before the iteration is reported as
    /// <see cref="BugKind.UncontrolledConcurrency"/>. Default 250 ms.
    /// </summary>
    public TimeSpan UncontrolledWaitTimeout { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How control passes between the real threads that carry logical threads. Default <see cref="HandoffMode.Adaptive"/>.</summary>
    public HandoffMode Handoff { get; init; } = HandoffMode.Adaptive;

    /// <summary>
    /// When true, a bug found by <see cref="SystematicTest.Run"/> is handed to
    /// <see cref="Minimization.WitnessMinimizer"/> with its default budgets: the report returned describes the minimised
    /// witness (fewest preemptions, then fewest steps) and its <see cref="BugReport.Minimization"/> the original. Costs up
    /// to <see cref="Minimization.MinimizationOptions.Timeout"/> after a bug; nothing when none is found. Kinds that
    /// <see cref="Minimization.WitnessMinimizer.CanMinimize"/> refuses are reported as found. Default false.
    /// </summary>
    public bool MinimizeWitness { get; init; }

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or bound is out of range, or a timeout is not positive.</exception>
    /// <exception cref="ArgumentException">Replay is selected without a trace.</exception>
    public void Validate()
    {
        if (Iterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "Iterations must be at least 1.");
        }

        if (MaxSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be at least 1.");
        }

        if (PreemptionBound is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PreemptionBound), PreemptionBound, "PreemptionBound must be null or non-negative.");
        }

        if (PctDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(PctDepth), PctDepth, "PctDepth must be at least 1.");
        }

        if (Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), timeout, "Timeout must be positive.");
        }

        if (IterationTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(IterationTimeout), IterationTimeout, "IterationTimeout must be positive.");
        }

        if (FairAfterSteps is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(FairAfterSteps), FairAfterSteps, "FairAfterSteps must be null or non-negative.");
        }

        if (LivenessTemperatureThreshold < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(LivenessTemperatureThreshold), LivenessTemperatureThreshold, "LivenessTemperatureThreshold must be at least 1.");
        }

        if (UncontrolledWaitTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(UncontrolledWaitTimeout), UncontrolledWaitTimeout, "UncontrolledWaitTimeout must be positive.");
        }

        if (!Enum.IsDefined(Handoff))
        {
            throw new ArgumentOutOfRangeException(nameof(Handoff), Handoff, "Unknown handoff mode.");
        }

        if (Shard is { } shard && (shard.Count < 1 || shard.Number < 1 || shard.Number > shard.Count))
        {
            throw new ArgumentOutOfRangeException(nameof(Shard), shard, "A shard is K/N with 1 <= K <= N.");
        }

        if (Shard is not null && Strategy is StrategyKind.Dpor or StrategyKind.Replay)
        {
            throw new ArgumentException($"The {StrategyNames.ToName(Strategy)} strategy cannot be sharded: {(Strategy == StrategyKind.Dpor ? "a race found in one subtree adds schedules to another, so disjoint parts would not cover the space; shard DFS, or give each job its own scenarios" : "a replay is one schedule")}.", nameof(Shard));
        }

        if (Strategy == StrategyKind.Replay && ReplayTrace is null)
        {
            throw new ArgumentException("The replay strategy needs a ReplayTrace.", nameof(ReplayTrace));
        }
    }
}
