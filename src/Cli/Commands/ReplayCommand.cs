using System.CommandLine;
using Spectre.Console;
using Veralloc.Scenarios;
using Veralloc.Systematic;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc replay TRACE</c>: replays a saved trace against its scenario and prints the interleaving step by step.
/// Exits 0 when the replay ends with the bug the trace records, 1 otherwise (divergence, or a different outcome).
/// </summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var traceArgument = new Argument<FileInfo>("trace") { Description = "A trace file written by 'veralloc test' or a failing systematic test." };
        var scenarioOption = new Option<string?>("--scenario") { Description = "The scenario to replay against (default: the one the trace names)." };
        var maxStepsOption = new Option<int>("--max-steps") { Description = "Step bound of the replayed run.", DefaultValueFactory = _ => 10_000 };

        var command = new Command("replay", "Replay a systematic-test trace deterministically and print its interleaving.");
        command.Arguments.Add(traceArgument);
        command.Options.Add(scenarioOption);
        command.Options.Add(maxStepsOption);
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

            var options = new TestOptions { MaxSteps = parseResult.GetValue(maxStepsOption), TraceDirectory = null, ScenarioName = scenario.Name };
            var result = SystematicTest.Replay(trace, scenario.Build, options);
            AnsiConsole.MarkupLineInterpolated($"Replaying [bold]{scenario.Name}[/]: {trace.Decisions.Count} decisions (recorded by {StrategyNames.ToName(trace.Strategy)}, seed {trace.Seed}, iteration {trace.Iteration}, bug {trace.Bug?.ToString() ?? "none"})");
            if (result.Bug is not { } bug)
            {
                AnsiConsole.MarkupLine(trace.Bug is null ? "[green]The replay ended without a bug, as recorded.[/]" : "[red]The replay ended without a bug, but the trace records one.[/]");
                return trace.Bug is null ? 0 : 1;
            }

            var table = new Table().AddColumn(new TableColumn("#").RightAligned()).AddColumn("Thread").AddColumn("Operation").AddColumn("Event").AddColumn("Target");
            foreach (var step in bug.Steps)
            {
                table.AddRow(
                    step.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape($"t{step.ThreadId} {step.ThreadName}"),
                    Markup.Escape(step.Operation ?? string.Empty),
                    step.Kind.ToString().ToLowerInvariant(),
                    Markup.Escape(step.Target ?? string.Empty));
            }

            AnsiConsole.Write(table);
            var reproduced = trace.Bug == bug.Kind;
            AnsiConsole.Markup(reproduced ? "[green]Reproduced[/]" : "[red]Different outcome[/]");
            AnsiConsole.WriteLine($": {bug.Kind}: {bug.Message}");
            return reproduced ? 0 : 1;
        });
        return command;
    }
}
