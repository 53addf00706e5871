using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Veralloc.Scenarios;
using Veralloc.Systematic;
using Veralloc.Systematic.Minimization;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc test</c>: runs the built-in systematic scenarios (or, with <c>--mutants</c>, the mutant gallery, where
/// finding the bug is the expected outcome), prints the statistics, saves the trace of every bug found, and exits
/// <see cref="ExitCodes.BugFound"/> on an unexpected outcome (a bug in a correct scenario, or a mutant not found) and
/// <see cref="ExitCodes.BadInput"/> on bad arguments or a trace folder it cannot write. Every bug found is minimised
/// unless <c>--no-minimize</c> is given: the report shows the minimised witness (fewest preemptions, then fewest steps)
/// and its trace is saved as <c>NAME.min.trace</c> beside the trace as found.
/// </summary>
public static class TestCommand
{
    public static Command Create()
    {
        var scenarioOption = new Option<string[]>("--scenario", "-s")
        {
            Description = "Scenario names to run (default: all of the selected list). See --list.",
            AllowMultipleArgumentsPerToken = true,
        };
        var mutantsOption = new Option<bool>("--mutants") { Description = "Run the mutant gallery: each must be found." };
        var listOption = new Option<bool>("--list") { Description = "List the scenarios and exit." };
        var strategyOption = new Option<string>("--strategy")
        {
            Description = "Exploration strategy: random, pct, dfs (bounded by --preemption-bound) or dpor (partial-order reduction, unbounded).",
            DefaultValueFactory = _ => "pct",
        };
        strategyOption.AcceptOnlyFromAmong("random", "pct", "dfs", "dpor");
        var iterationsOption = new Option<int>("--iterations", "-n")
        {
            Description = "Most schedules to explore per scenario (DFS stops early when the space is exhausted).",
            DefaultValueFactory = _ => 1000,
        };
        var seedOption = new Option<int>("--seed") { Description = "Seed of the random and PCT strategies.", DefaultValueFactory = _ => 0 };
        var maxStepsOption = new Option<int>("--max-steps")
        {
            Description = "Scheduling points per schedule before it is reported as a possible livelock.",
            DefaultValueFactory = _ => 10_000,
        };
        var boundOption = new Option<int>("--preemption-bound")
        {
            Description = "DFS: most preemptions per schedule; -1 for no bound.",
            DefaultValueFactory = _ => 2,
        };
        var depthOption = new Option<int>("--pct-depth")
        {
            Description = "PCT: bug depth d (d - 1 priority change points).",
            DefaultValueFactory = _ => 3,
        };
        var traceDirOption = new Option<string>("--trace-dir")
        {
            Description = "Where traces of bugs found are written.",
            DefaultValueFactory = _ => "traces-found",
        };
        var determinismOption = new Option<bool>("--check-determinism")
        {
            Description = "Run every schedule twice and compare every scheduling point; a difference is reported as Nondeterminism.",
        };
        var fairAfterOption = new Option<int>("--fair-after")
        {
            Description = "Scheduling points after which a schedule turns fair (round robin), so correct spin loops end; -1 turns fairness off.",
            DefaultValueFactory = _ => 1_000,
        };
        var handoffOption = new Option<string>("--handoff")
        {
            Description = "Where the engine's threads run: adaptive (measure and choose), floating, or single-core (Linux).",
            DefaultValueFactory = _ => "adaptive",
        };
        handoffOption.AcceptOnlyFromAmong("adaptive", "floating", "single-core");
        var shardOption = new Option<string?>("--shard")
        {
            Description = "Explore only part K of N (K/N, 1 <= K <= N): N jobs with 1/N ... N/N cover the unsharded run exactly once (random: iterations; dfs: subtrees; not dpor).",
        };
        var portfolioOption = new Option<bool>("--portfolio")
        {
            Description = "Run a portfolio per scenario (dpor, pct and random with several seeds, dfs) in parallel processes, one per core; stop at the first bug and say which member found it.",
        };
        var noMinimizeOption = new Option<bool>("--no-minimize")
        {
            Description = "Report each bug as found, without minimising its witness (minimising costs up to a minute a bug, usually well under a second).",
        };

        var command = new Command("test", "Systematically test the built-in concurrency scenarios under controlled scheduling.");
        command.Options.Add(scenarioOption);
        command.Options.Add(mutantsOption);
        command.Options.Add(listOption);
        command.Options.Add(strategyOption);
        command.Options.Add(iterationsOption);
        command.Options.Add(seedOption);
        command.Options.Add(maxStepsOption);
        command.Options.Add(boundOption);
        command.Options.Add(depthOption);
        command.Options.Add(traceDirOption);
        command.Options.Add(determinismOption);
        command.Options.Add(fairAfterOption);
        command.Options.Add(handoffOption);
        command.Options.Add(shardOption);
        command.Options.Add(portfolioOption);
        command.Options.Add(noMinimizeOption);
        command.SetAction(parseResult =>
        {
            WidenWhenRedirected();
            var mutants = parseResult.GetValue(mutantsOption);
            var catalogue = mutants ? ScenarioCatalog.Mutants : ScenarioCatalog.Correct;
            if (parseResult.GetValue(listOption))
            {
                return List();
            }

            var names = parseResult.GetValue(scenarioOption) ?? [];
            var selected = new List<SystematicScenario>();
            foreach (var name in names)
            {
                var scenario = ScenarioCatalog.Find(name);
                if (scenario is null)
                {
                    var code = CliErrors.BadArguments($"Unknown scenario '{name}'.");
                    CliErrors.Hint("'veralloc test --list' lists the scenarios.");
                    return code;
                }

                selected.Add(scenario);
            }

            if (selected.Count == 0)
            {
                selected.AddRange(catalogue);
            }

            var bound = parseResult.GetValue(boundOption);
            var fairAfter = parseResult.GetValue(fairAfterOption);
            TestOptions options;
            try
            {
                options = new TestOptions
                {
                    Strategy = StrategyNames.Parse(parseResult.GetValue(strategyOption)!),
                    Iterations = parseResult.GetValue(iterationsOption),
                    Seed = parseResult.GetValue(seedOption),
                    MaxSteps = parseResult.GetValue(maxStepsOption),
                    PreemptionBound = bound < 0 ? null : bound,
                    PctDepth = parseResult.GetValue(depthOption),
                    TraceDirectory = parseResult.GetValue(traceDirOption),
                    CheckDeterminism = parseResult.GetValue(determinismOption),
                    FairAfterSteps = fairAfter < 0 ? null : fairAfter,
                    Handoff = ParseHandoff(parseResult.GetValue(handoffOption)!),
                    Shard = parseResult.GetValue(shardOption) is { } shard ? Shard.Parse(shard) : null,
                    MinimizeWitness = !parseResult.GetValue(noMinimizeOption),
                };
                options.Validate();
            }
            catch (Exception exception) when (exception is ArgumentException or FormatException)
            {
                return CliErrors.BadArguments(CliErrors.Problem(exception));
            }

            // Checked before the run, not when the first bug's trace cannot be written minutes later.
            if (options.TraceDirectory is { } traceDirectory && File.Exists(traceDirectory))
            {
                return CliErrors.BadArguments($"--trace-dir '{traceDirectory}' is a file; it must name a folder (created when a bug is found).");
            }

            if (parseResult.GetValue(portfolioOption))
            {
                return Portfolio.Run(selected, options);
            }

            return Run(selected, options);
        });
        return command;
    }

    private static int List()
    {
        var table = new Table().AddColumn("Scenario").AddColumn("Expects").AddColumn("Description");
        foreach (var scenario in ScenarioCatalog.Correct.Concat(ScenarioCatalog.Mutants))
        {
            table.AddRow(Markup.Escape(scenario.Name), scenario.ExpectsBug ? "bug" : "pass", Markup.Escape(scenario.Description));
        }

        AnsiConsole.Write(table);
        return ExitCodes.Success;
    }

    private static int Run(IReadOnlyList<SystematicScenario> scenarios, TestOptions baseOptions)
    {
        var results = new List<(SystematicScenario Scenario, TestResult Result)>();
        void RunAll(Func<SystematicScenario, Action<int>?> progressFor)
        {
            foreach (var scenario in scenarios)
            {
                var options = baseOptions with { ScenarioName = scenario.Name, Progress = progressFor(scenario) };
                results.Add((scenario, SystematicTest.Run(options, scenario.Build)));
            }
        }

        if (AnsiConsole.Profile.Capabilities.Interactive && baseOptions.Iterations >= 2000)
        {
            AnsiConsole.Progress().Start(progress =>
            {
                var tasks = scenarios.ToDictionary(scenario => scenario.Name, scenario => progress.AddTask(Markup.Escape(scenario.Name), autoStart: false, maxValue: baseOptions.Iterations));
                RunAll(scenario =>
                {
                    var task = tasks[scenario.Name];
                    task.StartTask();
                    return done => task.Value = done;
                });
                foreach (var task in tasks.Values)
                {
                    task.Value = task.MaxValue;
                }
            });
        }
        else
        {
            RunAll(_ => null);
        }

        var unexpected = 0;
        var table = new Table()
            .AddColumn("Scenario").AddColumn("Strategy").AddColumn(new TableColumn("Schedules").RightAligned())
            .AddColumn(new TableColumn("Distinct").RightAligned()).AddColumn(new TableColumn("Classes").RightAligned()).AddColumn(new TableColumn("Sched. points").RightAligned())
            .AddColumn(new TableColumn("Max steps").RightAligned()).AddColumn(new TableColumn("Threads").RightAligned())
            .AddColumn(new TableColumn("Time (s)").RightAligned()).AddColumn(new TableColumn("Schedules/s").RightAligned())
            .AddColumn("Space").AddColumn("Outcome");
        foreach (var (scenario, result) in results)
        {
            var stats = result.Statistics;
            var ok = scenario.ExpectsBug == result.BugFound;
            unexpected += ok ? 0 : 1;
            var outcome = (result.BugFound, scenario.ExpectsBug) switch
            {
                (false, false) => "[green]pass[/]",
                (true, true) => $"[green]found {result.Bug!.Kind} (expected)[/]",
                (true, false) => $"[red]BUG {result.Bug!.Kind}[/]",
                (false, true) => "[red]mutant NOT found[/]",
            };
            table.AddRow(
                Markup.Escape(scenario.Name),
                StrategyNames.ToName(stats.Strategy),
                Format(stats.Iterations),
                Format(stats.DistinctSchedules),
                stats.EquivalenceClasses is { } classes ? Format(classes) : "-",
                Format(stats.SchedulingPoints),
                Format(stats.MaxStepsPerIteration),
                Format(stats.MaxThreads),
                stats.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
                stats.SchedulesPerSecond.ToString("F0", CultureInfo.InvariantCulture),
                stats.SpaceExhausted ? "exhausted" : stats.TimedOut ? "timed out" : "-",
                outcome);
        }

        AnsiConsole.Write(table);
        WriteWitnesses(results.Where(entry => entry.Result.Bug?.Minimization is not null).Select(entry => (entry.Scenario.Name, entry.Result.Bug!.Minimization!)).ToList());
        var unsaved = 0;
        foreach (var (scenario, result) in results)
        {
            if (result.Bug is not { } bug)
            {
                continue;
            }

            if (bug.TraceSaveError is { } saveError)
            {
                unsaved++;
                CliErrors.BadArguments($"{scenario.Name}: {saveError}");
            }

            if (scenario.ExpectsBug)
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]{scenario.Name}:[/] {bug.Kind}: {bug.Message}");
                AnsiConsole.MarkupLineInterpolated($"[grey]  trace: {bug.TracePath ?? "(not saved)"}  (veralloc replay <trace> prints the interleaving)[/]");
                if (bug.Minimization?.Original.TracePath is { } found && found != bug.TracePath)
                {
                    AnsiConsole.MarkupLineInterpolated($"[grey]  as found: {found}[/]");
                }
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"[red]Unexpected bug in {scenario.Name}[/]");
                AnsiConsole.WriteLine(bug.Format(maxSteps: 80));
            }
        }

        return unexpected > 0 ? ExitCodes.BugFound : unsaved > 0 ? ExitCodes.BadInput : ExitCodes.Success;
    }

    /// <summary>One row per minimised witness: its size as found and minimised, and what DFS proved.</summary>
    private static void WriteWitnesses(IReadOnlyList<(string Scenario, MinimizationResult Result)> witnesses)
    {
        if (witnesses.Count == 0)
        {
            return;
        }

        var table = new Table()
            .AddColumn("Scenario").AddColumn("Bug")
            .AddColumn(new TableColumn("Found: steps / decisions / preemptions").RightAligned())
            .AddColumn(new TableColumn("Minimised").RightAligned())
            .AddColumn("Fewest preemptions").AddColumn("Shortest at that bound")
            .AddColumn(new TableColumn("Schedules").RightAligned()).AddColumn(new TableColumn("Time (s)").RightAligned());
        foreach (var (scenario, result) in witnesses)
        {
            table.AddRow(
                Markup.Escape(scenario),
                result.Minimized.Kind.ToString(),
                Sizes(result.Before),
                Sizes(result.After),
                result.FewestPreemptionsProven ? "proven" : "not proven",
                result.ShortestProven ? "proven" : "not proven",
                Format(result.SchedulesTried),
                result.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);

        static string Sizes(WitnessSize size) => string.Create(CultureInfo.InvariantCulture, $"{size.Steps} / {size.Decisions} / {size.Preemptions}");
    }

    private static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static HandoffMode ParseHandoff(string name) => name switch
    {
        "floating" => HandoffMode.Floating,
        "single-core" => HandoffMode.SingleCore,
        _ => HandoffMode.Adaptive,
    };

    /// <summary>Spectre assumes 80 columns when output is not a terminal; tables of statistics need more.</summary>
    internal static void WidenWhenRedirected()
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 200;
        }
    }
}
