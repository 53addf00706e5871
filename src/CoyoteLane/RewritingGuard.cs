using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.Coyote.Rewriting;

namespace Veralloc.CoyoteLane;

/// <summary>
/// Refuses to explore code that Coyote has not rewritten, or whose rewrite is stale. Coyote's own engine only logs
/// "Assembly is not rewritten" and carries on: code it does not control then runs uncontrolled, which shows up as a
/// false deadlock at best and as a silent pass at worst (docs/design-notes/0027-coyote-rewriting-in-the-build.md).
/// </summary>
/// <remarks>
/// The build (CoyoteRewrite.targets) writes <see cref="ManifestName"/> beside the test assembly: one line per
/// rewritten assembly, <c>name|path of its pristine (not rewritten) build output</c>. An assembly passes when the
/// loaded copy carries Coyote's rewriting signature for this Coyote version and its module version id equals that of
/// the pristine output as it is now (rewriting keeps the id; a rebuild of the source changes it).
/// </remarks>
public static class RewritingGuard
{
    /// <summary>The manifest the build writes beside the test assembly.</summary>
    public const string ManifestName = "coyote-rewrite.manifest";

    private static readonly Lazy<IReadOnlyList<string>> s_problemsOfThisBuild = new(() =>
        FindProblems(Path.Combine(AppContext.BaseDirectory, ManifestName), name => Assembly.Load(new AssemblyName(name))));

    /// <summary>Throws unless every assembly the build rewrote is loaded rewritten and fresh, and so is <paramref name="scenarioCode"/>.</summary>
    /// <param name="scenarioCode">The assembly that declares the scenario about to run.</param>
    /// <exception cref="NotRewrittenException">Something that would run under Coyote is not (freshly) rewritten.</exception>
    public static void EnsureRewritten(Assembly scenarioCode)
    {
        ArgumentNullException.ThrowIfNull(scenarioCode);
        var problems = new List<string>(s_problemsOfThisBuild.Value);
        if (!RewritingEngine.IsAssemblyRewritten(scenarioCode))
        {
            problems.Add($"the scenario's assembly {scenarioCode.GetName().Name} ({Where(scenarioCode)}) is not rewritten by Coyote {CoyoteVersion}");
        }

        if (problems.Count > 0)
        {
            throw new NotRewrittenException(problems);
        }
    }

    /// <summary>The Coyote version whose rewriting signature is expected.</summary>
    public static string CoyoteVersion => typeof(RewritingEngine).Assembly.GetName().Version!.ToString();

    /// <summary>Checks every assembly the manifest names; returns one sentence per problem (empty when all are fine).</summary>
    /// <param name="manifestPath">The manifest written by the build.</param>
    /// <param name="load">Loads an assembly by simple name, as the test run would.</param>
    public static IReadOnlyList<string> FindProblems(string manifestPath, Func<string, Assembly> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        if (!File.Exists(manifestPath))
        {
            return [$"{manifestPath} is missing: this test assembly was not built through CoyoteRewrite.targets, so nothing is known to be rewritten"];
        }

        var problems = new List<string>();
        var lines = File.ReadAllLines(manifestPath).Where(line => line.Length > 0).ToArray();
        if (lines.Length == 0)
        {
            problems.Add($"{manifestPath} names no assembly");
        }

        foreach (string line in lines)
        {
            string[] fields = line.Split('|');
            if (fields.Length != 2)
            {
                problems.Add($"{manifestPath}: malformed line '{line}' (expected name|pristine path)");
                continue;
            }

            string? problem = CheckOne(fields[0], fields[1], load);
            if (problem is not null)
            {
                problems.Add(problem);
            }
        }

        return problems;
    }

    private static string? CheckOne(string name, string pristinePath, Func<string, Assembly> load)
    {
        Assembly loaded;
        try
        {
            loaded = load(name);
        }
        catch (Exception exception) when (exception is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return $"{name} could not be loaded: {exception.Message}";
        }

        if (!RewritingEngine.IsAssemblyRewritten(loaded))
        {
            return $"{name} ({Where(loaded)}) is not rewritten by Coyote {CoyoteVersion}: rebuild the Coyote test project (its build runs `coyote rewrite`)";
        }

        if (!File.Exists(pristinePath))
        {
            return $"{name}: its pristine build output {pristinePath} is gone, so the rewrite cannot be shown to be current: rebuild";
        }

        Guid pristine = ModuleVersionId(pristinePath);
        Guid running = loaded.ManifestModule.ModuleVersionId;
        return pristine == running
            ? null
            : $"{name} ({Where(loaded)}) is a stale rewrite: module version {running}, but {pristinePath} is now {pristine}: rebuild the Coyote test project";
    }

    private static Guid ModuleVersionId(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader metadata = pe.GetMetadataReader();
        return metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
    }

    private static string Where(Assembly assembly) => string.IsNullOrEmpty(assembly.Location) ? "loaded from memory" : assembly.Location;
}

/// <summary>Code that would run under Coyote is not rewritten, or its rewrite is stale; nothing was explored.</summary>
public sealed class NotRewrittenException(IReadOnlyList<string> problems)
    : InvalidOperationException("Coyote cannot control code it has not rewritten, so no iteration was run:\n  - " + string.Join("\n  - ", problems))
{
    /// <summary>One sentence per problem.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}
