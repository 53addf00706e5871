// The `veralloc` command line. Commands live one per file under Commands/ and register in CliProgram.
using Veralloc.Cli;

// Redirected output (CI logs, files) would otherwise be laid out for 80 columns, which folds the result tables.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Width = 160;
}

return CliProgram.Run(CliProgram.CreateRoot(), args);
