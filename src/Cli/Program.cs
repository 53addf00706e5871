// The `veralloc` command line. Commands live one per file under Commands/ and register here.
using System.CommandLine;
using Veralloc.Cli.Commands;

// Redirected output (CI logs, files) would otherwise be laid out for 80 columns, which folds the result tables.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Width = 160;
}

var root = new RootCommand("veralloc: verified allocators — systematic concurrency tests, trace replay, heap pictures and benchmarks.");
root.Subcommands.Add(TestCommand.Create());
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(HeapCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(TracesCommand.Create());
return root.Parse(args).Invoke();
