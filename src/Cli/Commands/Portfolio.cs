using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Veralloc.Scenarios;
using Veralloc.Systematic;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc test --portfolio</c>: several strategies and seeds per scenario, run in parallel, one process per core,
/// stopping at the first bug. Members are separate processes because a run pins and times the engine's threads and
/// watches the runtime's task events process-wide: two runs in one process would disturb each other.
/// </summary>
internal static class Portfolio
{
    /// <summary>The members for one scenario, in the order they are started when cores are short.</summary>
    public static IReadOnlyList<(string Label, string[] Arguments)> Members(TestOptions options, int cores)
    {
        var iterations = options.Iterations.ToString(CultureInfo.InvariantCulture);
        var members = new List<(string, string[])>
        {
            ("dpor", ["--strategy", "dpor", "-n", iterations]),
            ("pct seed 0", ["--strategy", "pct", "--seed", "0", "-n", iterations]),
            ("random seed 0", ["--strategy", "random", "--seed", "0", "-n", iterations]),
            ("dfs bound 2", ["--strategy", "dfs", "--preemption-bound", "2", "-n", iterations]),
        };
        for (var seed = 1; members.Count < cores; seed++)
        {
            var text = seed.ToString(CultureInfo.InvariantCulture);
            members.Add(($"pct seed {text}", ["--strategy", "pct", "--seed", text, "-n", iterations]));
            members.Add(($"random seed {text}", ["--strategy", "random", "--seed", text, "-n", iterations]));
        }

        return members;
    }

    public static int Run(IReadOnlyList<SystematicScenario> scenarios, TestOptions options)
    {
        var cores = Math.Max(2, Environment.ProcessorCount);
        var unexpected = 0;
        var failedMember = ExitCodes.Success;
        var table = new Table().AddColumn("Scenario").AddColumn("Members").AddColumn(new TableColumn("Time (s)").RightAligned()).AddColumn("Outcome");
        foreach (var scenario in scenarios)
        {
            var clock = Stopwatch.StartNew();
            // Members minimise the witness they find, as a plain run does, unless the portfolio was told not to.
            var members = options.MinimizeWitness ? Members(options, cores) : [.. Members(options, cores).Select(member => (member.Label, (string[])[.. member.Arguments, "--no-minimize"]))];
            var (finder, exitCode) = RunMembers(scenario, members, cores, options.TraceDirectory);
            var found = finder is not null;
            unexpected += found == scenario.ExpectsBug ? 0 : 1;

            // A member that neither passed nor found a bug failed for a reason of its own (bad input, internal error):
            // the portfolio passes that code on rather than calling it a bug.
            failedMember = exitCode is ExitCodes.Success or ExitCodes.BugFound ? failedMember : Math.Max(failedMember, exitCode);
            var outcome = (found, scenario.ExpectsBug) switch
            {
                (true, true) => $"[green]found by {Markup.Escape(finder!)} (expected)[/]",
                (true, false) => $"[red]BUG found by {Markup.Escape(finder!)}[/]",
                (false, true) => "[red]mutant NOT found[/]",
                (false, false) => exitCode == 0 ? "[green]pass[/]" : $"[red]a member failed (exit {exitCode})[/]",
            };
            table.AddRow(Markup.Escape(scenario.Name), members.Count.ToString(CultureInfo.InvariantCulture), clock.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture), outcome);
        }

        AnsiConsole.Write(table);
        return unexpected > 0 ? ExitCodes.BugFound : failedMember;
    }

    /// <summary>Runs the members, at most <paramref name="cores"/> at a time; returns the first that found a bug, if any.</summary>
    private static (string? Finder, int ExitCode) RunMembers(SystematicScenario scenario, IReadOnlyList<(string Label, string[] Arguments)> members, int cores, string? traceDirectory)
    {
        var running = new List<(string Label, Process Process)>();
        var next = 0;
        var worstExit = 0;
        try
        {
            while (next < members.Count || running.Count > 0)
            {
                while (running.Count < cores && next < members.Count)
                {
                    var (label, arguments) = members[next++];
                    running.Add((label, Start(scenario.Name, arguments, traceDirectory)));
                }

                var finished = running.FirstOrDefault(member => member.Process.HasExited);
                if (finished.Process is null)
                {
                    Thread.Sleep(20);
                    continue;
                }

                running.Remove(finished);
                var exit = finished.Process.ExitCode;
                finished.Process.Dispose();

                // A member exits 0 when its verdict matched the scenario's expectation: for a mutant, the bug was found.
                if ((scenario.ExpectsBug && exit == ExitCodes.Success) || (!scenario.ExpectsBug && exit == ExitCodes.BugFound))
                {
                    return (finished.Label, exit);
                }

                worstExit = Math.Max(worstExit, exit == ExitCodes.BugFound ? ExitCodes.Success : exit);
            }

            return (null, worstExit);
        }
        finally
        {
            foreach (var (_, process) in running)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                process.Dispose();
            }
        }
    }

    private static Process Start(string scenario, string[] arguments, string? traceDirectory)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of the running program is unknown.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Portfolio).Assembly.Location);
        }

        foreach (var argument in (string[])["test", "-s", scenario, .. arguments, "--trace-dir", traceDirectory ?? Path.GetTempPath()])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start a portfolio member for {scenario}.");

        // Nobody reads the members' tables: drain them so a full pipe never blocks a member.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
