// The `veralloc` command line. Commands live one per file under Commands/ and register here.
var root = new System.CommandLine.RootCommand("Veralloc");
root.Subcommands.Add(Veralloc.Cli.Commands.TestCommand.Create());
root.Subcommands.Add(Veralloc.Cli.Commands.ReplayCommand.Create());
return root.Parse(args).Invoke();
