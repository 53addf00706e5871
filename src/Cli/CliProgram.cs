using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Veralloc.Cli.Commands;

namespace Veralloc.Cli;

/// <summary>
/// The <c>veralloc</c> command tree and the one place that turns what happened into an exit code: parse errors are bad
/// input, unexpected exceptions internal errors, and help lists the codes (<see cref="ExitCodes"/>).
/// </summary>
public static class CliProgram
{
    /// <summary>The root command with every subcommand registered and help that ends with the exit codes.</summary>
    /// <returns>The root command.</returns>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("veralloc: verified allocators — systematic concurrency tests, trace replay, heap pictures and benchmarks.");
        root.Subcommands.Add(TestCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(HeapCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(TracesCommand.Create());
        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: HelpAction help } helpOption)
            {
                helpOption.Action = new HelpWithExitCodes(help);
            }
        }

        return root;
    }

    /// <summary>Parses <paramref name="args"/> against <paramref name="root"/> and runs the command.</summary>
    /// <param name="root">The command tree.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>One of <see cref="ExitCodes"/>, or what the command returned.</returns>
    public static int Run(RootCommand root, string[] args)
    {
        ArgumentNullException.ThrowIfNull(root);
        try
        {
            var parsed = root.Parse(args);
            if (parsed.Action is ParseErrorAction)
            {
                // System.CommandLine would exit 1, the code for "bug found", and echo the arguments unescaped.
                foreach (var error in parsed.Errors)
                {
                    CliErrors.BadArguments(error.Message);
                }

                CliErrors.Hint($"'{CommandPath(parsed.CommandResult.Command)} --help' lists the arguments.");
                return ExitCodes.BadInput;
            }

            // Unexpected exceptions come to the catch below instead of System.CommandLine's handler, which exits 1 like a bug found.
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception exception)
        {
            return CliErrors.InternalError(exception);
        }
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? current = command; current is not null and not RootCommand; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, current.Name);
        }

        return string.Join(' ', names.Prepend("veralloc"));
    }
}
