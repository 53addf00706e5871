using System.CommandLine;
using Spectre.Console;
using Veralloc.Scenarios;
using Veralloc.Systematic;
using Veralloc.Systematic.Minimization;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc replay TRACE</c>: replays a saved trace against its scenario and prints the interleaving step by step.
/// Exits 0 when the replay ends with the bug the trace records, 1 otherwise (divergence, or a different outcome).
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
            ScheduleTrace trace;
            try
            {
                trace = ScheduleTrace.Load(file.FullName);
            }
            catch (Exception exception) when (exception is FormatException or IOException or UnauthorizedAccessException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]Cannot read trace {file.FullName}: {exception.Message}[/]");
                return 2;
            }

            var name = parseResult.GetValue(scenarioOption) ?? trace.Scenario;
            var scenario = name is null ? null : ScenarioCatalog.Find(name);
            if (scenario is null)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]Unknown scenario '{name ?? "(none in the trace)"}'.[/] Pass --scenario; 'veralloc test --list' lists them.");
                return 2;
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
                AnsiConsole.MarkupLineInterpolated($"[red]--max-steps must be at least 1, not {options.MaxSteps}.[/]");
                return 2;
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

                return trace.Bug is null ? 0 : 1;
            }

            WriteSteps(bug.Steps);
            var reproduced = trace.Bug == bug.Kind;
            AnsiConsole.Markup(reproduced ? "[green]Reproduced[/]" : "[red]Different outcome[/]");
            AnsiConsole.WriteLine($": {bug.Kind}: {bug.Message}");
            if (!minimize)
            {
                return reproduced ? 0 : 1;
            }

            if (!reproduced || !WitnessMinimizer.CanMinimize(bug.Kind))
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]Not minimised: {(reproduced ? $"a {bug.Kind} witness says the engine lost control of the program, so other schedules of it mean nothing" : "the replay did not reproduce the trace's bug")}.[/]");
                return reproduced ? 0 : 1;
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
            return 1;
        }

        var path = WitnessMinimizer.MinimizedTracePath(file.FullName);
        try
        {
            result.Minimized.Trace.Save(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Cannot write the minimised trace {path}: {exception.Message}[/]");
            return 2;
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
        return 0;
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
