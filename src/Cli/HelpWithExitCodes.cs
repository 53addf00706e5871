using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;
using Veralloc.Cli.Commands;

namespace Veralloc.Cli;

/// <summary>
/// The standard help of every command, followed by the exit-code table, so the codes a script must handle are written
/// where it looks for usage.
/// </summary>
internal sealed class HelpWithExitCodes(HelpAction standard) : SynchronousCommandLineAction
{
    /// <inheritdoc />
    public override bool ClearsParseErrors => true;

    /// <inheritdoc />
    public override int Invoke(ParseResult parseResult)
    {
        var code = standard.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        output.WriteLine("Exit codes (the same for every command):");
        foreach (var (value, name, meaning) in ExitCodes.All)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {value}  {name}: {meaning}"));
        }

        output.WriteLine();
        return code;
    }
}
