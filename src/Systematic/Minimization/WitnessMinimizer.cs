using System.Diagnostics;
using System.Globalization;
using Veralloc.Systematic.Strategies;

namespace Veralloc.Systematic.Minimization;

/// <summary>
/// Turns a witness (the trace of a bug) into one that is easier to read: first the fewest preemptions, then the fewest
/// steps, then the fewest decisions, keeping the kind of bug.
/// </summary>
/// <remarks>
/// <para>
/// Four phases, each within <see cref="MinimizationOptions"/>'s budgets: (1) DFS at preemption bounds 0, 1, 2, ... below
/// the witness's own count, stopping at the first that reaches the same kind of bug (iterative preemption bounding, as
/// in CHESS); other kinds of bug met on the way are passed over. (2) Delta debugging (ddmin) over the witness's decisions,
/// then changing single decisions to each other enabled thread; a candidate runs under a lenient replay that completes
/// whatever no longer fits without preempting, and is kept when it reaches the same kind of bug with no more preemptions
/// and fewer steps or decisions. (3) DFS at the witness's preemption count, passing over every witness that is not
/// shorter: when it exhausts the space the witness is the shortest at that count. (4) A strict replay of the result,
/// which must reach the same kind of bug in the same steps; otherwise the original is kept.
/// </para>
/// <para>See docs/design-notes/0091-witness-minimisation.md.</para>
/// </remarks>
public static class WitnessMinimizer
{
    /// <summary>
    /// True for the kinds of bug a witness can be minimised for: those the program itself commits. Not
    /// <see cref="BugKind.Nondeterminism"/>, <see cref="BugKind.ReplayDivergence"/>, <see cref="BugKind.Hang"/> or
    /// <see cref="BugKind.UncontrolledConcurrency"/>, which say the engine lost control of the program: other schedules
    /// of it mean nothing.
    /// </summary>
    /// <param name="kind">The kind of bug.</param>
    /// <returns>Whether <see cref="Minimize"/> accepts a witness of that kind.</returns>
    public static bool CanMinimize(BugKind kind) =>
        kind is not (BugKind.Nondeterminism or BugKind.ReplayDivergence or BugKind.Hang or BugKind.UncontrolledConcurrency);

    /// <summary>Minimises <paramref name="witness"/>, a trace that ends with a bug, against <paramref name="scenario"/>.</summary>
    /// <param name="witness">The trace; it must record its bug and replay to it.</param>
    /// <param name="scenario">The scenario that produced the trace.</param>
    /// <param name="options">Budgets and run settings; null for the defaults.</param>
    /// <returns>The original and the minimised witness, their sizes and what was proved.</returns>
    /// <exception cref="ArgumentException">
    /// The trace records no bug, or one that cannot be minimised (<see cref="CanMinimize"/>), or it does not replay to it.
    /// </exception>
    public static MinimizationResult Minimize(ScheduleTrace witness, Action<SystematicContext> scenario, MinimizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(witness);
        ArgumentNullException.ThrowIfNull(scenario);
        options ??= new MinimizationOptions();
        options.Validate();
        if (witness.Bug is not { } kind)
        {
            throw new ArgumentException("The trace records no bug: there is no witness to minimise.", nameof(witness));
        }

        if (!CanMinimize(kind))
        {
            throw new ArgumentException($"A {kind} trace cannot be minimised: it says the engine lost control of the program, so other schedules of it mean nothing.", nameof(witness));
        }

        var baseOptions = options.RunOptions ?? new TestOptions
        {
            MaxSteps = witness.Settings?.MaxSteps ?? new TestOptions().MaxSteps,
            FairAfterSteps = witness.Settings is { } settings ? settings.FairAfterSteps : new TestOptions().FairAfterSteps,
        };
        var runOptions = RunSettings(baseOptions with { ScenarioName = baseOptions.ScenarioName ?? witness.Scenario });
        var replayed = SystematicTest.Replay(witness, scenario, runOptions).Bug;
        if (replayed?.Kind != kind)
        {
            var outcome = replayed is null ? "no bug" : $"{replayed.Kind}: {replayed.Message}";
            throw new ArgumentException($"The trace records {kind} but replays to {outcome}; only a witness that reproduces its bug can be minimised.", nameof(witness));
        }

        return new Search(scenario, runOptions, options, replayed).Run();
    }

    /// <summary>Where the minimised trace of <paramref name="tracePath"/> goes: <c>x.trace</c> becomes <c>x.min.trace</c>.</summary>
    /// <param name="tracePath">The original trace's path.</param>
    /// <returns>The path beside it.</returns>
    public static string MinimizedTracePath(string tracePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(tracePath);
        return (tracePath.EndsWith(".trace", StringComparison.OrdinalIgnoreCase) ? tracePath[..^".trace".Length] : tracePath) + ".min.trace";
    }

    /// <summary>
    /// For <see cref="TestOptions.MinimizeWitness"/>: minimises a bug <see cref="SystematicTest.Run"/> found under
    /// <paramref name="options"/>, saves the minimised trace beside the original when that was saved, and returns the
    /// minimised report.
    /// </summary>
    internal static BugReport MinimizeFound(BugReport found, Action<SystematicContext> scenario, TestOptions options)
    {
        var result = new Search(scenario, RunSettings(options), new MinimizationOptions(), found).Run();
        var minimized = result.Minimized;
        if (ReferenceEquals(minimized, found))
        {
            return minimized;
        }

        // The trace as found could not be saved: the minimised one goes nowhere either, and the report says why.
        minimized.TraceSaveError = found.TraceSaveError;
        if (found.TracePath is { } path)
        {
            var minimizedPath = MinimizedTracePath(path);
            try
            {
                minimized.Trace.Save(minimizedPath);
                minimized.TracePath = Path.GetFullPath(minimizedPath);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                minimized.TraceSaveError = $"cannot save the minimised trace to '{minimizedPath}': {exception.Message}";
            }
        }

        return minimized;
    }

    /// <summary>
    /// The settings of every run of a minimisation: the caller's, without anything that would save, report progress,
    /// rerun, recurse, or explore only part of the space (a shard would skip the one iteration a candidate replay has).
    /// </summary>
    private static TestOptions RunSettings(TestOptions options)
    {
        var settings = options with
        {
            Strategy = StrategyKind.Random,
            ReplayTrace = null,
            Iterations = 1,
            Timeout = null,
            TraceDirectory = null,
            Progress = null,
            CheckDeterminism = false,
            MinimizeWitness = false,
            Shard = null,
            CountEquivalenceClasses = false,
            ScheduleObserver = null,
        };
        settings.Validate();
        return settings;
    }

    /// <summary>One minimisation: the best witness so far and the budgets left.</summary>
    private sealed class Search(Action<SystematicContext> scenario, TestOptions runOptions, MinimizationOptions budgets, BugReport original)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<string> _phases = [];
        private readonly BugKind _kind = original.Kind;
        private Candidate _best = null!;
        private int _schedules;
        private int _replays;

        public MinimizationResult Run()
        {
            var measured = Measure(original) ?? throw new InvalidOperationException(
                $"The witness of {_kind} did not take the same steps when replayed: the program does not behave the same under the same schedule, so it cannot be minimised.");
            _best = measured;
            _phases.Add($"witness: {measured.Size}");
            var exhaustedBounds = FewerPreemptions();
            Shorten();
            var shortestProven = SearchShortest();
            var fewestProven = exhaustedBounds >= _best.Size.Preemptions;
            var minimized = ReplayStrictly();
            if (minimized is null)
            {
                _best = measured;
                fewestProven = shortestProven = false;
                minimized = original;
            }

            var result = new MinimizationResult(original, minimized, measured.Size, _best.Size, fewestProven, shortestProven, _schedules, _clock.Elapsed, _phases);
            minimized.Minimization = result;
            return result;
        }

        /// <summary>Phase 1: DFS at bounds 0, 1, ... below the witness's count. Returns how many bounds from 0 up were exhausted without the bug.</summary>
        private int FewerPreemptions()
        {
            var exhaustedFrom0 = 0;
            var exhaustedSoFar = true;
            for (var bound = 0; bound < _best.Size.Preemptions; bound++)
            {
                if (budgets.SchedulesPerBound == 0 || TimeLeft() is not { } left)
                {
                    _phases.Add(string.Create(CultureInfo.InvariantCulture, $"DFS at bound {bound}: skipped ({(budgets.SchedulesPerBound == 0 ? "no budget" : "out of time")})"));
                    break;
                }

                var result = Explore(bound, budgets.SchedulesPerBound, left, steps: int.MaxValue);
                var statistics = result.Statistics;
                if (result.Bug is { } bug && bug.Kind == _kind && Measure(bug) is { } found)
                {
                    _phases.Add(string.Create(CultureInfo.InvariantCulture, $"DFS at bound {bound}: {_kind} at schedule {statistics.Iterations} ({found.Size})"));
                    _best = found;
                    break;
                }

                if (result.Bug is { } other)
                {
                    _phases.Add(string.Create(CultureInfo.InvariantCulture, $"DFS at bound {bound}: stopped by {other.Kind} after {statistics.Iterations} schedules"));
                    break;
                }

                exhaustedSoFar &= statistics.SpaceExhausted;
                exhaustedFrom0 += exhaustedSoFar ? 1 : 0;
                _phases.Add(string.Create(CultureInfo.InvariantCulture, $"DFS at bound {bound}: no {_kind} in {(statistics.SpaceExhausted ? "all " : string.Empty)}{statistics.Iterations} schedules{(statistics.SpaceExhausted ? string.Empty : " (budget spent)")}"));
            }

            return exhaustedFrom0;
        }

        /// <summary>Phase 2: ddmin over the decisions, then single-decision changes, until neither shortens the witness.</summary>
        private void Shorten()
        {
            if (budgets.MaxReplays == 0)
            {
                _phases.Add("delta debugging: skipped (no budget)");
                return;
            }

            var start = _best.Size;
            var replaysBefore = _replays;
            _ = Judge([]);
            while (CanReplay())
            {
                var round = _best.Size;
                _ = DeltaDebugging.Minimize(_best.Choices, Judge, CanReplay);
                ChangeSingleDecisions();
                if (!_best.Size.IsSmallerThan(round))
                {
                    break;
                }
            }

            _phases.Add(string.Create(CultureInfo.InvariantCulture, $"delta debugging and single-decision changes: {start} -> {_best.Size} in {_replays - replaysBefore} replays{(CanReplay() ? string.Empty : " (budget spent)")}"));
        }

        /// <summary>
        /// Tries every other choice at every decision, once with the rest of the witness kept and once with the rest left
        /// to the default; after each success starts again from the first decision of the new witness.
        /// </summary>
        private void ChangeSingleDecisions()
        {
            var index = 0;
            while (index < _best.Made.Count && CanReplay())
            {
                index = TryAlternatives(index) ? 0 : index + 1;
            }
        }

        private bool TryAlternatives(int index)
        {
            var choices = _best.Choices;
            foreach (var alternative in _best.Made[index].Alternatives)
            {
                int[] changed = [.. choices.Take(index), alternative];
                int[] kept = [.. changed, .. choices.Skip(index + 1)];
                if (Judge(kept) is not null || Judge(changed) is not null)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Phase 3: DFS at the witness's count, passing over every witness that is not shorter. True when it exhausted the space.</summary>
        private bool SearchShortest()
        {
            var spent = 0;
            while (true)
            {
                var budget = budgets.ShortestSearchSchedules - spent;
                if (budget <= 0 || TimeLeft() is not { } left)
                {
                    _phases.Add(string.Create(CultureInfo.InvariantCulture, $"shortest search at bound {_best.Size.Preemptions}: {(budgets.ShortestSearchSchedules == 0 ? "skipped (no budget)" : $"stopped after {spent} schedules (budget or time spent)")}"));
                    return false;
                }

                var result = Explore(_best.Size.Preemptions, budget, left, _best.Size.Steps);
                spent += result.Statistics.Iterations;
                if (result.Bug is { } bug && bug.Kind == _kind && Measure(bug) is { } found && found.Size.IsSmallerThan(_best.Size))
                {
                    _best = found;
                    continue;
                }

                var exhausted = result.Bug is null && result.Statistics.SpaceExhausted;
                _phases.Add(string.Create(CultureInfo.InvariantCulture, $"shortest search at bound {_best.Size.Preemptions}: {(exhausted ? $"no shorter {_kind} in all {result.Statistics.Iterations} schedules" : result.Bug is { } other ? $"stopped by {other.Kind}" : "budget spent")} ({spent} schedules in this phase)"));
                return exhausted;
            }
        }

        /// <summary>
        /// Phase 4: the minimised trace (the original's when nothing smaller was found), replayed strictly, must reach the
        /// same kind of bug in the same steps; null when it does not.
        /// </summary>
        private BugReport? ReplayStrictly()
        {
            var replayed = SystematicTest.Replay(_best.Report.Trace, scenario, runOptions).Bug;
            _schedules++;
            if (replayed?.Kind == _kind && replayed.Steps.Count == _best.Size.Steps)
            {
                _phases.Add(string.Create(CultureInfo.InvariantCulture, $"strict replay of the minimised trace: {_kind} in {replayed.Steps.Count} steps"));
                return replayed;
            }

            _phases.Add($"strict replay of the minimised trace ended with {replayed?.Kind.ToString() ?? "no bug"}: the original witness is kept");
            return null;
        }

        private TestResult Explore(int bound, int schedules, TimeSpan left, int steps)
        {
            var options = runOptions with { Strategy = StrategyKind.Dfs, PreemptionBound = bound, Iterations = schedules, Timeout = left };
            var result = SystematicTest.RunStrategy(options, scenario, new DfsStrategy(bound), (kind, taken) => kind == _kind ? taken >= steps : CanMinimize(kind));
            _schedules += result.Statistics.Iterations;
            return result;
        }

        /// <summary>Runs <paramref name="choices"/> leniently; returns the run when it reached the same kind of bug within the preemptions of the best witness.</summary>
        private Candidate? Replay(IReadOnlyList<int> choices, int maxPreemptions)
        {
            var strategy = new LenientReplayStrategy(choices, maxPreemptions);
            var trace = new ScheduleTrace(choices.Select(Decode), StrategyKind.Replay, original.Trace.Seed, original.Trace.Iteration, runOptions.ScenarioName, _kind);
            var result = SystematicTest.RunStrategy(runOptions with { Strategy = StrategyKind.Replay, ReplayTrace = trace, Seed = trace.Seed }, scenario, strategy, passOver: null);
            _schedules++;
            return result.Bug is { } bug && bug.Kind == _kind && strategy.Preemptions <= maxPreemptions
                ? new Candidate(bug, new WitnessSize(bug.Steps.Count, bug.Trace.Choices.Count, strategy.Preemptions), [.. strategy.Made])
                : null;
        }

        /// <summary>Replays a witness's own decisions to measure it; null unless the run takes the witness's steps.</summary>
        private Candidate? Measure(BugReport witness) =>
            Replay(witness.Trace.EncodedChoices, int.MaxValue) is { } run && run.Size.Steps == witness.Steps.Count ? run : null;

        /// <summary>The delta-debugging judge: keeps a candidate that is smaller than the best, and continues from the decisions its run made.</summary>
        private int[]? Judge(IReadOnlyList<int> choices)
        {
            if (!CanReplay())
            {
                return null;
            }

            _replays++;
            if (Replay(choices, _best.Size.Preemptions) is { } candidate && candidate.Size.IsSmallerThan(_best.Size))
            {
                _best = candidate;
                return candidate.Choices;
            }

            return null;
        }

        private bool CanReplay() => _replays < budgets.MaxReplays && TimeLeft() is not null;

        private TimeSpan? TimeLeft()
        {
            var left = budgets.Timeout - _clock.Elapsed;
            return left > TimeSpan.Zero ? left : null;
        }

        private static ScheduleChoice Decode(int encoded) =>
            ChoiceEncoding.IsValue(encoded) ? ScheduleChoice.RandomValue(ChoiceEncoding.DecodeValue(encoded)) : ScheduleChoice.Thread(encoded);
    }

    /// <summary>A witness run under the lenient replay: its report, its size, and each decision with its alternatives.</summary>
    private sealed record Candidate(BugReport Report, WitnessSize Size, IReadOnlyList<DecisionRecord> Made)
    {
        public int[] Choices { get; } = [.. Made.Select(decision => decision.Encoded)];
    }
}
