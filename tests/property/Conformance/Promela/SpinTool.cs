using System.Diagnostics;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>Runs the SPIN model checker (spin on PATH) in simulation mode.</summary>
internal static class SpinTool
{
    public const string NotInstalled =
        "SPIN is not installed, so the model side of the conformance check cannot run (Debian/Ubuntu: apt-get install spin; CI installs it).";

    /// <summary>The spin executable on PATH, or null.</summary>
    public static string? Executable { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, "spin"))
        .FirstOrDefault(File.Exists);

    /// <summary>The first line of <c>spin -V</c>, or null when SPIN is not installed.</summary>
    public static string? Version { get; } = Executable is null ? null : Run(Path.GetTempPath(), ["-V"], TimeSpan.FromSeconds(20)).Output.Split('\n')[0].Trim();

    /// <summary>Runs spin with <paramref name="arguments"/> in <paramref name="folder"/>; stdout and stderr together.</summary>
    public static (int ExitCode, string Output) Run(string folder, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Executable ?? throw new InvalidOperationException(NotInstalled))
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return RunProcess(start, timeout);
    }

    /// <summary>Runs a process to completion (killed after <paramref name="timeout"/>); stdout and stderr together.</summary>
    public static (int ExitCode, string Output) RunProcess(ProcessStartInfo start, TimeSpan timeout)
    {
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} ran longer than {timeout.TotalSeconds} s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A fact that needs SPIN: skipped, saying why, when spin is not on PATH.</summary>
internal sealed class SpinFactAttribute : FactAttribute
{
    public SpinFactAttribute()
    {
        if (SpinTool.Executable is null)
        {
            Skip = SpinTool.NotInstalled;
        }
    }
}
