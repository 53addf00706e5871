using Spectre.Console;
using Veralloc.Bench.Traces;
using Veralloc.Systematic;

namespace Veralloc.Cli.Commands;

/// <summary>
/// Error output shared by the commands: every message goes through <see cref="InputText.Escape"/> and every outcome maps
/// to one of <see cref="ExitCodes"/>.
/// </summary>
internal static class CliErrors
{
    /// <summary>The same code as <see cref="ExitCodes.BadInput"/>, under the name older callers use.</summary>
    public const int BadArgumentsExitCode = ExitCodes.BadInput;

    /// <summary>The same code as <see cref="ExitCodes.BugFound"/>, under the name older callers use.</summary>
    public const int VerificationFailedExitCode = ExitCodes.BugFound;

    /// <summary>Reports bad arguments or a malformed input file.</summary>
    /// <returns><see cref="ExitCodes.BadInput"/>.</returns>
    public static int BadArguments(string message) => Report("red", "error", message, ExitCodes.BadInput);

    /// <summary>Reports an allocator that failed verification.</summary>
    /// <returns><see cref="ExitCodes.BugFound"/>.</returns>
    public static int VerificationFailed(string message) => Report("red", "verification failed", message, ExitCodes.BugFound);

    /// <summary>Reports a run that could not finish because the allocator refused an allocation.</summary>
    /// <returns><see cref="ExitCodes.OutOfMemory"/>.</returns>
    public static int OutOfMemory(string message) => Report("yellow", "out of memory", message, ExitCodes.OutOfMemory);

    /// <summary>Prints a line of advice after an error.</summary>
    public static void Hint(string message) => AnsiConsole.Console.Profile.Out.Writer.WriteLine(InputText.Escape(message));

    /// <summary>
    /// Reports an exception nothing expected: a defect in veralloc. The message and the stack trace go to standard error,
    /// since whoever fixes it needs both; input errors never come here.
    /// </summary>
    /// <returns><see cref="ExitCodes.InternalError"/>.</returns>
    public static int InternalError(Exception exception)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"internal error (a defect in veralloc; please report it): {exception.GetType().FullName}: {InputText.Escape(exception.Message)}");
        Console.Error.WriteLine(exception.StackTrace);
        return ExitCodes.InternalError;
    }

    /// <summary>Parses an allocation trace file, printing the error and returning null when it cannot.</summary>
    public static ParsedTrace? LoadTrace(string path) => Load(path, TraceParser.ParseFile);

    /// <summary>Parses a schedule trace file, printing the error and returning null when it cannot.</summary>
    public static ScheduleTrace? LoadScheduleTrace(string path) => Load(path, ScheduleTrace.Load);

    /// <summary>
    /// The message of an argument check without the parameter name and value .NET appends to an
    /// <see cref="ArgumentException"/> on further lines: the user named the option, not the property behind it.
    /// </summary>
    public static string Problem(Exception exception)
    {
        var message = exception.Message;
        var suffix = exception is ArgumentException { ParamName: { } name } ? message.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal) : -1;
        return suffix < 0 ? message : message[..suffix];
    }

    // Both trace parsers put file:line: problem in their FormatException; a file that cannot be read at all gets its path.
    private static T? Load<T>(string path, Func<string, T> parse)
        where T : class
    {
        try
        {
            return parse(path);
        }
        catch (FormatException e)
        {
            BadArguments(e.Message);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            BadArguments($"cannot read trace '{path}': {e.Message}");
            return null;
        }
    }

    private static int Report(string colour, string label, string message, int exitCode)
    {
        // One line however long: Spectre would fold the text at the console width, and a file:line: problem message must
        // stay whole for whoever greps a log for it.
        AnsiConsole.Console.Markup($"[{colour}]{label}:[/] ");
        AnsiConsole.Console.Profile.Out.Writer.WriteLine(InputText.Escape(message));
        return exitCode;
    }
}
