// veralloc-micro: the BenchmarkDotNet suites, run in-process (no child build per benchmark, which small CI machines
// cannot afford) with a short job. `veralloc bench micro` starts this program; it can also be run directly:
//   dotnet run -c Release --project bench/Veralloc.Bench.Micro -- [--filter GLOB] [--default-job] [BenchmarkDotNet args]
//   dotnet run -c Release --project bench/Veralloc.Bench.Micro -- validation [--traces DIR] [--rounds N]   (what validation costs)
// Exit codes follow the CLI's table: 0 every benchmark ran, 1 one failed, 2 bad arguments (nothing matched the filter).
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Veralloc.Bench.Micro;

if (args.Length > 0 && args[0] == "validation")
{
    // Not a BenchmarkDotNet suite: a paired comparison of shipped allocators against pre-defence copies (Validation/).
    return Veralloc.Bench.Micro.Validation.ValidationCostComparison.Run(args[1..]);
}

string filter = "*";
bool defaultJob = false;
var rest = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--filter" when i + 1 < args.Length:
            filter = args[++i];
            break;
        case "--filter":
            Console.Error.WriteLine("error: --filter needs a glob over benchmark names, e.g. '*Pair*'.");
            return 2;
        case "--default-job":
            defaultJob = true;
            break;
        default:
            rest.Add(args[i]);
            break;
    }
}

Job job = (defaultJob ? Job.Default : Job.ShortRun).WithToolchain(InProcessEmitToolchain.Instance);
IConfig config = DefaultConfig.Instance.AddJob(job.AsDefault());
var summaries = BenchmarkSwitcher.FromAssembly(typeof(PairBenchmarks).Assembly).Run(["--filter", filter, .. rest], config).ToList();
if (summaries.Count == 0)
{
    Console.Error.WriteLine($"error: no benchmark matched --filter '{filter}'.");
    return 2;
}

return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
