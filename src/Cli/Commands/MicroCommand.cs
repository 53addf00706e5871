using System.CommandLine;
using System.Diagnostics;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc bench micro</c>: runs the BenchmarkDotNet suites, which live in their own program
/// (bench/Veralloc.Bench.Micro), so that the CLI and its test command never restore BenchmarkDotNet. The first run
/// restores and builds that program (<c>dotnet run -c Release</c>); the suites then run in-process with a short job.
/// </summary>
public static class MicroCommand
{
    /// <summary>The suites' project, relative to the repository root.</summary>
    public const string ProjectPath = "bench/Veralloc.Bench.Micro/Veralloc.Bench.Micro.csproj";

    public static Command Create()
    {
        var filterOption = new Option<string>("--filter") { Description = "BenchmarkDotNet glob over benchmark names, e.g. '*Pair*'.", DefaultValueFactory = _ => "*" };
        var longOption = new Option<bool>("--default-job") { Description = "Use BenchmarkDotNet's default job instead of ShortRun (slow)." };
        var command = new Command("micro", $"Run the BenchmarkDotNet micro-benchmarks in-process (ShortRun by default) through {ProjectPath}; extra arguments go to BenchmarkDotNet.")
        {
            filterOption, longOption,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parseResult =>
        {
            string? project = FindProject();
            if (project is null)
            {
                return CliErrors.BadArguments($"cannot find {ProjectPath} above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}: run 'bench micro' from a clone of the repository.");
            }

            List<string> arguments = ["run", "-c", "Release", "--project", project, "--", "--filter", parseResult.GetValue(filterOption) ?? "*"];
            if (parseResult.GetValue(longOption))
            {
                arguments.Add("--default-job");
            }

            arguments.AddRange(parseResult.UnmatchedTokens);
            return Run(arguments);
        });
        return command;
    }

    /// <summary>The suites' project in the clone this CLI was built from (or the one it runs in), or null.</summary>
    public static string? FindProject()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                string candidate = Path.Combine(folder.FullName, ProjectPath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    // The child shares this console, so its progress and tables stream as they come; its exit code (the same table:
    // 0 ran, 1 a benchmark failed, 2 bad arguments) is passed on.
    private static int Run(List<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process child = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            child.WaitForExit();
            return child.ExitCode is ExitCodes.Success or ExitCodes.BugFound or ExitCodes.BadInput ? child.ExitCode : ExitCodes.BugFound;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return CliErrors.BadArguments($"cannot start 'dotnet' to run the suites: {e.Message}");
        }
    }
}
