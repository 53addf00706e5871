using System.Reflection;
using System.Runtime.Loader;
using Veralloc.CoyoteLane;

namespace Veralloc.Tests.Coyote;

/// <summary>
/// The lane refuses to run what Coyote has not rewritten: a missing manifest, an assembly that is not rewritten, a
/// stale rewrite, and a scenario declared in an assembly that is not rewritten each stop the run before any
/// iteration, with a message that says which assembly and what to do.
/// </summary>
public sealed class RewritingGuardTests
{
    private static readonly string s_manifest = Path.Combine(AppContext.BaseDirectory, RewritingGuard.ManifestName);

    [Fact]
    public void EveryAssemblyTheBuildRewroteIsLoadedRewrittenAndCurrent()
    {
        string[] names = ManifestLines().Select(line => line.Split('|')[0]).ToArray();

        Assert.Equal(["Veralloc.Allocators", "Veralloc.CoyoteLane", "Veralloc.Scenarios", "Veralloc.Tests.Coyote"], names.Order(StringComparer.Ordinal));
        Assert.Empty(RewritingGuard.FindProblems(s_manifest, name => Assembly.Load(new AssemblyName(name))));
    }

    [Fact]
    public void AMissingManifestIsAProblem()
    {
        string problem = Assert.Single(RewritingGuard.FindProblems(Path.Combine(AppContext.BaseDirectory, "no-such.manifest"), name => Assembly.Load(new AssemblyName(name))));

        Assert.Contains("not built through CoyoteRewrite.targets", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCompilersOwnOutputIsNotRewritten() => WithThisAssemblyAsCompiled((pristine, path) =>
    {
        string manifest = WriteManifest($"Veralloc.Tests.Coyote|{path}");

        string problem = Assert.Single(RewritingGuard.FindProblems(manifest, _ => pristine));

        Assert.Contains("Veralloc.Tests.Coyote", problem, StringComparison.Ordinal);
        Assert.Contains("is not rewritten by Coyote", problem, StringComparison.Ordinal);
    });

    [Fact]
    public void ARewriteOfAnOlderBuildIsStale()
    {
        // The running allocators paired with a pristine output they were not made from: as after a rebuild of the
        // allocators that skipped the rewrite.
        string manifest = WriteManifest($"Veralloc.Allocators|{PristinePathOf("Veralloc.Scenarios")}");

        string problem = Assert.Single(RewritingGuard.FindProblems(manifest, name => Assembly.Load(new AssemblyName(name))));

        Assert.Contains("Veralloc.Allocators", problem, StringComparison.Ordinal);
        Assert.Contains("is a stale rewrite", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AScenarioFromAnAssemblyThatIsNotRewrittenIsRefusedBeforeAnyIteration() => WithThisAssemblyAsCompiled((pristine, path) =>
    {
        // The same scenario code, compiled but not rewritten; its references resolve to the running (rewritten) lane.
        Type probe = pristine.GetType(typeof(UnrewrittenProbe).FullName!, throwOnError: true)!;
        var body = probe.GetMethod(nameof(UnrewrittenProbe.Body))!.CreateDelegate<Func<CoyoteIteration, Task>>();
        var scenario = new CoyoteScenario("probe/not-rewritten", "a worker started by code Coyote did not rewrite", body);

        NotRewrittenException refused = Assert.Throws<NotRewrittenException>(() => CoyoteRunner.Run(new CoyoteOptions { Iterations = 10, TraceDirectory = null }, scenario));

        Assert.Contains("no iteration was run", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"the scenario's assembly Veralloc.Tests.Coyote ({path}) is not rewritten", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, probe.GetProperty(nameof(UnrewrittenProbe.Runs))!.GetValue(null));
    });

    /// <summary>Loads the compiler's output of this very assembly (not rewritten) into its own context for <paramref name="test"/>.</summary>
    private static void WithThisAssemblyAsCompiled(Action<Assembly, string> test)
    {
        string path = PristinePathOf("Veralloc.Tests.Coyote");
        var context = new AssemblyLoadContext("pristine", isCollectible: true);
        try
        {
            test(context.LoadFromAssemblyPath(path), path);
        }
        finally
        {
            context.Unload();
        }
    }

    private static string[] ManifestLines() => File.ReadAllLines(s_manifest).Where(line => line.Length > 0).ToArray();

    private static string PristinePathOf(string name) =>
        ManifestLines().Select(line => line.Split('|')).Single(fields => fields[0] == name)[1];

    private static string WriteManifest(string line)
    {
        string path = Path.Combine(Path.GetTempPath(), $"veralloc-guard-{Guid.NewGuid():N}.manifest");
        File.WriteAllText(path, line + "\n");
        return path;
    }
}

/// <summary>A scenario body for <see cref="RewritingGuardTests"/>, loaded from the compiler's (not rewritten) output.</summary>
public static class UnrewrittenProbe
{
    /// <summary>How many times the body ran in this load context (the refused run must leave it at 0).</summary>
    public static int Runs { get; private set; }

    public static Task Body(CoyoteIteration iteration)
    {
        Runs++;
        return iteration.Spawn("worker", () => { });
    }
}
