using Spectre.Console;
using Veralloc.Bench.Traces;

namespace Veralloc.Cli.Commands;

/// <summary>Exit codes and error output shared by the commands.</summary>
internal static class CliErrors
{
    /// <summary>Bad arguments or an unreadable/malformed trace.</summary>
    public const int BadArgumentsExitCode = 2;

    /// <summary>A replay failed: out of memory, an exception, a broken invariant or a wrong end state.</summary>
    public const int VerificationFailedExitCode = 3;

    public static int BadArguments(string message)
    {
        AnsiConsole.Console.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        return BadArgumentsExitCode;
    }

    public static int VerificationFailed(string message)
    {
        AnsiConsole.Console.MarkupLine($"[red]verification failed:[/] {Markup.Escape(message)}");
        return VerificationFailedExitCode;
    }

    /// <summary>Parses a trace file, printing the error and returning null when it cannot.</summary>
    public static ParsedTrace? LoadTrace(string path)
    {
        try
        {
            return TraceParser.ParseFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            BadArguments($"cannot load trace '{path}': {e.Message}");
            return null;
        }
    }
}
