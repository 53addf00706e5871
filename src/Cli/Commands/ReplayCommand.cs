using System.CommandLine;
using Spectre.Console;
using Veralloc.Scenarios;
using Veralloc.Systematic;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc replay TRACE</c>: replays a saved trace against its scenario and prints the interleaving step by step.
/// Exits <see cref="ExitCodes.Success"/> when the replay ends with the outcome the trace records having used every
/// decision, <see cref="ExitCodes.BugFound"/> otherwise (a different outcome, a divergence, or decisions left unused even
/// though the bug reproduced), <see cref="ExitCodes.BadInput"/> for an unreadable or malformed trace or bad arguments.
/// </summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var traceArgument = new Argument<FileInfo>("trace") { Description = "A trace file written by 'veralloc test' or a failing systematic test." };
        var scenarioOption = new Option<string?>("--scenario") { Description = "The scenario to replay against (default: the one the trace names)." };
        var maxStepsOption = new Option<int?>("--max-steps") { Description = "Step bound of the replayed run (default: the one the trace was recorded with, else 10,000)." };

        var command = new Command("replay", "Replay a systematic-test trace deterministically and print its interleaving.");
        command.Arguments.Add(traceArgument);
        command.Options.Add(scenarioOption);
        command.Options.Add(maxStepsOption);
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
            if (result.Bug is not { } bug)
            {
                AnsiConsole.MarkupLine(trace.Bug is null ? "[green]The replay ended without a bug, as recorded.[/]" : "[red]The replay ended without a bug, but the trace records one.[/]");
                return trace.Bug is null ? ExitCodes.Success : ExitCodes.BugFound;
            }

            var table = new Table().AddColumn(new TableColumn("#").RightAligned()).AddColumn("Thread").AddColumn("Operation").AddColumn("Event").AddColumn("Target");
            foreach (var step in bug.Steps)
            {
                table.AddRow(
                    step.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(step.ThreadId < 0 ? step.ThreadName : $"t{step.ThreadId} {step.ThreadName}"),
                    Markup.Escape(step.Operation ?? string.Empty),
                    step.Kind.ToString().ToLowerInvariant(),
                    Markup.Escape(step.Target ?? string.Empty));
            }

            AnsiConsole.Write(table);
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

            return reproduced && unused == 0 ? ExitCodes.Success : ExitCodes.BugFound;
        });
        return command;
    }
}
