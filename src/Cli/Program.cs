// The `veralloc` command line. Commands live one per file under Commands/ and register here.
using System.CommandLine;
using Veralloc.Cli.Commands;

var root = new RootCommand("veralloc: verified allocators — heap pictures, trace replay and benchmarks.");
root.Subcommands.Add(HeapCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(TracesCommand.Create());
return root.Parse(args).Invoke();
