using System.Xml.Linq;
using Veralloc.Cli.Commands;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.Cli;

/// <summary>
/// The main job stays light: nothing the CLI builds from (its project and every project it references, transitively)
/// asks for BenchmarkDotNet, which only the suites' own program restores; <c>bench micro</c> finds that program, and
/// <c>bench contended</c> runs and checks its arguments.
/// </summary>
public sealed class BenchSplitTests : IDisposable
{
    private readonly string _workDirectory = Directory.CreateTempSubdirectory("veralloc-bench-").FullName;

    public void Dispose() => Directory.Delete(_workDirectory, recursive: true);

    [Fact]
    public void NoProjectTheCliBuildsFromReferencesBenchmarkDotNet()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.Combine(RepositoryPaths.Root, "src", "Cli", "Veralloc.Cli.csproj")]);
        while (pending.Count > 0)
        {
            string project = Path.GetFullPath(pending.Pop());
            if (!seen.Add(project))
            {
                continue;
            }

            XDocument document = XDocument.Load(project);
            string[] packages = [.. document.Descendants("PackageReference").Select(reference => (string?)reference.Attribute("Include") ?? string.Empty)];
            Assert.DoesNotContain(packages, package => package.StartsWith("BenchmarkDotNet", StringComparison.OrdinalIgnoreCase));
            foreach (XElement reference in document.Descendants("ProjectReference"))
            {
                pending.Push(Path.Combine(Path.GetDirectoryName(project)!, (string)reference.Attribute("Include")!));
            }
        }

        Assert.Contains(seen, project => project.EndsWith("Veralloc.Bench.csproj", StringComparison.Ordinal));
        XDocument micro = XDocument.Load(Path.Combine(RepositoryPaths.Root, MicroCommand.ProjectPath));
        Assert.Contains(micro.Descendants("PackageReference"), reference => (string?)reference.Attribute("Include") == "BenchmarkDotNet");
    }

    [Fact]
    public void BenchMicroFindsTheSuitesProgramInThisClone()
    {
        string? project = MicroCommand.FindProject();

        Assert.Equal(Path.GetFullPath(Path.Combine(RepositoryPaths.Root, MicroCommand.ProjectPath)), project);
    }

    [Fact]
    public void BenchContendedReportsEveryPoolAtEachThreadCountAndWritesTheReport()
    {
        string report = Path.Combine(_workDirectory, "contended.md");

        CliRun run = CliProcess.Run(_workDirectory, "bench", "contended", "--threads", "1", "2", "--pairs", "2000", "--warmup", "100", "--passes", "1", "--out", report);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        string written = File.ReadAllText(report);
        foreach (string pool in new[] { "`SlotAllocator`", "`ShardedSlotAllocator`", "`ShardedSlotAllocator, home by key`", "`lock+Stack<int>`", "`ConcurrentBag<int>`" })
        {
            Assert.Contains($"| {pool} |", written, StringComparison.Ordinal);
        }

        Assert.Contains("2 threads ÷ 1 thread", written, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--threads", "0")]
    [InlineData("--threads", "126")]
    [InlineData("--keys", "0")]
    [InlineData("--shards", "257")]
    [InlineData("--passes", "0")]
    public void BenchContendedRejectsCountsOutOfRangeAsBadInput(string option, string value)
    {
        CliRun run = CliProcess.Run(_workDirectory, "bench", "contended", option, value, "--pairs", "10");

        Assert.True(run.ExitCode == ExitCodes.BadInput, run.ToString());
        Assert.Contains("error", run.Output, StringComparison.Ordinal);
    }
}
