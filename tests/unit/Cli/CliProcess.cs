using System.Diagnostics;

namespace Veralloc.Tests.Unit.Cli;

/// <summary>Runs the built <c>veralloc</c> program as a separate process in a working folder, as a user would.</summary>
internal static class CliProcess
{
    private static readonly TimeSpan ProcessLimit = TimeSpan.FromMinutes(3);

    public static CliRun Run(string workDirectory, params string[] arguments)
    {
        string program = Path.Combine(AppContext.BaseDirectory, "veralloc.dll");
        Assert.True(File.Exists(program), $"the CLI must be built next to the tests: {program}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(program);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start the CLI");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ProcessLimit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"veralloc {string.Join(' ', arguments)} ran longer than {ProcessLimit}");
        }

        return new CliRun(string.Join(' ', arguments), process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>One finished run of the CLI: its arguments, exit code and combined output.</summary>
internal sealed record CliRun(string Arguments, int ExitCode, string Output)
{
    public override string ToString() => $"veralloc {Arguments} → exit {ExitCode}\n{Output}";
}
