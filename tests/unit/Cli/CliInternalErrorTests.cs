using System.CommandLine;
using Veralloc.Cli;
using Veralloc.Cli.Commands;

namespace Veralloc.Tests.Unit.Cli;

/// <summary>Tests that swap the process's standard error, so they must not run beside each other.</summary>
[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>
/// What no input can cause on purpose: an exception inside a command. It runs in-process, with a command that throws
/// added to the real command tree, since an input that reaches it would itself be a defect to fix.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class CliInternalErrorTests
{
    [Fact]
    public void AnUnexpectedExceptionIsAnInternalErrorWithItsStackTraceOnStandardError()
    {
        RootCommand root = CliProgram.CreateRoot();
        var boom = new Command("boom");
        boom.SetAction(new Func<ParseResult, int>(_ => throw new InvalidOperationException("kaput \u001b[2J")));
        root.Subcommands.Add(boom);
        var error = new StringWriter();
        TextWriter saved = Console.Error;
        int code;
        Console.SetError(error);
        try
        {
            code = CliProgram.Run(root, ["boom"]);
        }
        finally
        {
            Console.SetError(saved);
        }

        Assert.Equal(ExitCodes.InternalError, code);
        string text = error.ToString();
        Assert.Contains("internal error (a defect in veralloc; please report it): System.InvalidOperationException: kaput \\x1B[2J", text, StringComparison.Ordinal);
        Assert.Contains(nameof(AnUnexpectedExceptionIsAnInternalErrorWithItsStackTraceOnStandardError), text, StringComparison.Ordinal);
    }
}
