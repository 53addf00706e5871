using System.CommandLine;
using Spectre.Console;
using Veralloc.Scenarios;
using Veralloc.Systematic;
using Veralloc.Systematic.Minimization;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc replay TRACE</c>: replays a saved trace against its scenario and prints the interleaving step by step.
/// Exits <see cref="ExitCodes.Success"/> when the replay ends with the outcome the trace records having used every
/// decision, <see cref="ExitCodes.BugFound"/> otherwise (a different outcome, a divergence, or decisions left unused even
/// though the bug reproduced), <see cref="ExitCodes.BadInput"/> for an unreadable or malformed trace or bad arguments.
/// With <c>--minimize</c> it then minimises the witness (docs/design-notes/0091), writes it beside the trace as
/// <c>NAME.min.trace</c> and prints it with the sizes before and after.
/// </summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var traceArgument = new Argument<FileInfo>("trace") { Description = "A trace file written by 'veralloc test' or a failing systematic test." };
        var scenarioOption = new Option<string?>("--scenario") { Description = "The scenario to replay against (default: the one the trace names)." };
        var maxStepsOption = new Option<int?>("--max-steps") { Description = "Step bound of the replayed run (default: the one the trace was recorded with, else 10,000)." };
        var minimizeOption = new Option<bool>("--minimize") { Description = "Then minimise the witness (fewest preemptions, then fewest steps), write it as NAME.min.trace beside the trace and print it." };

        var command = new Command("replay", "Replay a systematic-test trace deterministically and print its interleaving.");
        command.Arguments.Add(traceArgument);
        command.Options.Add(scenarioOption);
        command.Options.Add(maxStepsOption);
        command.Options.Add(minimizeOption);
        command.SetAction(parseResult =>
        {
            TestCommand.WidenWhenRedirected();
            var file = parseResult.GetValue(traceArgument)!;
            if (CliErrors.LoadScheduleTrace(file.FullName) is not { } trace)
            {
                return ExitCodes.BadInput;
            }

            var name = parseResult.GetValue(scenarioOption) ?? trace.Scenario;
            var scenario = name is null ? null : ScenarioCatalog.Find(name);
            if (scenario is null)
            {
                var code = CliErrors.BadArguments($"Unknown scenario '{name ?? "(none in the trace)"}'.");
                CliErrors.Hint("Pass --scenario; 'veralloc test --list' lists them.");
                return code;
            }

            var options = new TestOptions
            {
                MaxSteps = parseResult.GetValue(maxStepsOption) ?? trace.Settings?.MaxSteps ?? 10_000,
                FairAfterSteps = trace.Settings is { } settings ? settings.FairAfterSteps : new TestOptions().FairAfterSteps,
                TraceDirectory = null,
                ScenarioName = scenario.Name,
            };
            if (options.MaxSteps < 1)
            {
                return CliErrors.BadArguments($"--max-steps must be at least 1, not {options.MaxSteps}.");
            }

            var result = SystematicTest.Replay(trace, scenario.Build, options);
            AnsiConsole.MarkupLineInterpolated($"Replaying [bold]{scenario.Name}[/]: {trace.Choices.Count} decisions, {(trace.PointCount is { } points ? $"{points} scheduling points checked" : "scheduling points not recorded (version 1)")} (recorded by {StrategyNames.ToName(trace.Strategy)}, seed {trace.Seed}, iteration {trace.Iteration}, bug {trace.Bug?.ToString() ?? "none"})");
            var minimize = parseResult.GetValue(minimizeOption);
            if (result.Bug is not { } bug)
            {
                AnsiConsole.MarkupLine(trace.Bug is null ? "[green]The replay ended without a bug, as recorded.[/]" : "[red]The replay ended without a bug, but the trace records one.[/]");
                if (minimize)
                {
                    AnsiConsole.MarkupLine("[yellow]Not minimised: there is no bug to keep.[/]");
                }

                return trace.Bug is null ? ExitCodes.Success : ExitCodes.BugFound;
            }

            WriteSteps(bug.Steps);
            var reproduced = trace.Bug == bug.Kind;
            var unused = result.UnusedTraceDecisions;
            AnsiConsole.Markup(!reproduced ? "[red]Different outcome[/]" : unused > 0 ? "[red]Reproduced, but the trace diverges[/]" : "[green]Reproduced[/]");
            AnsiConsole.WriteLine($": {bug.Kind}: {bug.Message}");
            if (reproduced && unused > 0)
            {
                // The bug recurred, yet the file is not the record of this run: whatever follows the used decisions was
                // never replayed, so a script confirming the trace must not accept it.
                AnsiConsole.MarkupLineInterpolated($"[red]Replay divergence:[/] the trace holds {unused} decisions the run did not use.");
            }

            var replayed = reproduced && unused == 0 ? ExitCodes.Success : ExitCodes.BugFound;
            if (!minimize)
            {
                return replayed;
            }

            if (!reproduced || !WitnessMinimizer.CanMinimize(bug.Kind))
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]Not minimised: {(reproduced ? $"a {bug.Kind} witness says the engine lost control of the program, so other schedules of it mean nothing" : "the replay did not reproduce the trace's bug")}.[/]");
                return replayed;
            }

            return Minimize(trace, file, scenario, options);
        });
        return command;
    }

    private static int Minimize(ScheduleTrace trace, FileInfo file, SystematicScenario scenario, TestOptions options)
    {
        MinimizationResult result;
        try
        {
            result = WitnessMinimizer.Minimize(trace, scenario.Build, new MinimizationOptions { RunOptions = options });
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Cannot minimise: {exception.Message}[/]");
            return ExitCodes.BadInput;
        }

        var path = WitnessMinimizer.MinimizedTracePath(file.FullName);
        try
        {
            result.Minimized.Trace.Save(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Cannot write the minimised trace {path}: {exception.Message}[/]");
            return ExitCodes.BadInput;
        }

        AnsiConsole.WriteLine();
        AnsiConsole.MarkupLine("[bold]Minimised witness[/]");
        WriteSteps(result.Minimized.Steps);
        var sizes = new Table().AddColumn("Witness").AddColumn(new TableColumn("Steps").RightAligned()).AddColumn(new TableColumn("Decisions").RightAligned()).AddColumn(new TableColumn("Preemptions").RightAligned());
        foreach (var (label, size) in new[] { ("before", result.Before), ("after", result.After) })
        {
            sizes.AddRow(label, Count(size.Steps), Count(size.Decisions), Count(size.Preemptions));
        }

        AnsiConsole.Write(sizes);
        foreach (var phase in result.Phases)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]  {phase}[/]");
        }

        AnsiConsole.MarkupLineInterpolated($"[green]Minimised[/]: {result.Summary()}");
        AnsiConsole.WriteLine($"Minimised trace written to {path}");
        return ExitCodes.Success;
    }

    private static void WriteSteps(IReadOnlyList<TraceStep> steps)
    {
        var table = new Table().AddColumn(new TableColumn("#").RightAligned()).AddColumn("Thread").AddColumn("Operation").AddColumn("Event").AddColumn("Target");
        foreach (var step in steps)
        {
            table.AddRow(
                Count(step.Index),
                Markup.Escape(step.ThreadId < 0 ? step.ThreadName : $"t{step.ThreadId} {step.ThreadName}"),
                Markup.Escape(step.Operation ?? string.Empty),
                step.Kind.ToString().ToLowerInvariant(),
                Markup.Escape(step.Target ?? string.Empty));
        }

        AnsiConsole.Write(table);
    }

    private static string Count(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
