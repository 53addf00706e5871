using System.CommandLine;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Veralloc.Bench.Micro;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc bench micro</c>: the BenchmarkDotNet classes of Veralloc.Bench, run in-process (no child build, which small
/// CI machines cannot afford) with a short job.
/// </summary>
public static class MicroCommand
{
    public static Command Create()
    {
        var filterOption = new Option<string>("--filter") { Description = "BenchmarkDotNet glob over benchmark names, e.g. '*Pair*'.", DefaultValueFactory = _ => "*" };
        var longOption = new Option<bool>("--default-job") { Description = "Use BenchmarkDotNet's default job instead of ShortRun (slow)." };
        var command = new Command("micro", "Run the BenchmarkDotNet micro-benchmarks in-process (ShortRun by default); extra arguments go to BenchmarkDotNet.")
        {
            filterOption, longOption,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parseResult =>
        {
            Job job = (parseResult.GetValue(longOption) ? Job.Default : Job.ShortRun).WithToolchain(InProcessEmitToolchain.Instance);
            IConfig config = DefaultConfig.Instance.AddJob(job.AsDefault());
            string[] args = ["--filter", parseResult.GetValue(filterOption) ?? "*", .. parseResult.UnmatchedTokens];
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(PairBenchmarks).Assembly).Run(args, config).ToList();
            if (summaries.Count == 0)
            {
                return CliErrors.BadArguments($"no benchmark matched --filter '{args[1]}'.");
            }

            return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? ExitCodes.BugFound : ExitCodes.Success;
        });
        return command;
    }
}
