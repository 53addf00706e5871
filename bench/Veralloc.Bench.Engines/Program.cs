// veralloc-engines: our systematic engine and Microsoft Coyote on the same slot scenarios and mutants, side by side
// (docs/design-notes/0029-engines-side-by-side.md). Run: dotnet run --project bench/Veralloc.Bench.Engines -c Release
using System.CommandLine;
using Veralloc.Bench.Engines;

var iterations = new Option<int>("--iterations") { Description = "Iterations per correct scenario and strategy.", DefaultValueFactory = _ => 1000 };
var seeds = new Option<int>("--seeds") { Description = "Seeds 1..N per mutant and strategy (median and max over them).", DefaultValueFactory = _ => 10 };
var budget = new Option<int>("--budget") { Description = "Most iterations a mutant run may take to find its bug.", DefaultValueFactory = _ => 2000 };
var output = new Option<FileInfo?>("--out") { Description = "Also write the Markdown tables to this file." };
var engines = new Option<string[]>("--engines") { Description = "Which engines to run: veralloc, coyote or both.", DefaultValueFactory = _ => ["veralloc", "coyote"], AllowMultipleArgumentsPerToken = true };
engines.AcceptOnlyFromAmong("veralloc", "coyote");
var root = new RootCommand("Runs our systematic engine and Microsoft Coyote on the same slot scenarios and mutants and prints the comparison.")
{
    iterations, seeds, budget, output, engines,
};
root.SetAction(parseResult =>
{
    var options = new SideBySideOptions(parseResult.GetValue(iterations), parseResult.GetValue(seeds), parseResult.GetValue(budget),
        new HashSet<string>(parseResult.GetValue(engines) ?? [], StringComparer.Ordinal));
    if (options.Iterations < 1 || options.Seeds < 1 || options.Budget < 1 || options.Engines.Count == 0)
    {
        Console.Error.WriteLine("error: --iterations, --seeds and --budget must be at least 1, and --engines must name an engine.");
        return 2;
    }

    (string markdown, bool correctScenarioFailed) = SideBySide.Run(options, Console.Error);
    Console.WriteLine(markdown);
    if (parseResult.GetValue(output) is { } file)
    {
        File.WriteAllText(file.FullName, markdown);
    }

    if (correctScenarioFailed)
    {
        Console.Error.WriteLine("error: an engine found a bug in a correct scenario (marked BUG above).");
        return 1;
    }

    return 0;
});
return root.Parse(args).Invoke();
