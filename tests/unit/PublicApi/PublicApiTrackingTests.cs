using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.PublicApi;

/// <summary>
/// Guards docs/design-notes/0038-public-api-tracking.md: every packed project lists its public API in
/// PublicAPI.Shipped.txt / PublicAPI.Unshipped.txt with nullable annotations, and the analyzer the build runs
/// (from the restored package) reports an untracked addition, a stale line and a nullability change.
/// </summary>
public sealed class PublicApiTrackingTests
{
    private const string ProbeSource = """
        namespace Probe;

        /// <summary>A public type whose API the probe files describe.</summary>
        public sealed class Widget
        {
            /// <summary>Returns the label or an empty string.</summary>
            public string Name(string? label) => label ?? string.Empty;
        }
        """;

    private const string TrackedProbe = """
        #nullable enable
        Probe.Widget
        Probe.Widget.Widget() -> void
        Probe.Widget.Name(string? label) -> string!
        """;

    public static TheoryData<string, string, string[]> ProbeFiles => new()
    {
        { "everything listed", TrackedProbe, [] },
        { "a public member missing", WithoutLine(TrackedProbe, "Probe.Widget.Name(string? label) -> string!"), ["RS0016"] },
        { "a listed member that no longer exists", TrackedProbe + "\nProbe.Widget.Gone() -> void", ["RS0017"] },
        { "a parameter whose nullability changed", TrackedProbe.Replace("string? label", "string! label", StringComparison.Ordinal), ["RS0016", "RS0017"] },
        { "no nullable annotations", WithoutLine(TrackedProbe, "#nullable enable").Replace("?", string.Empty, StringComparison.Ordinal).Replace("!", string.Empty, StringComparison.Ordinal), ["RS0036"] },
    };

    private static string WithoutLine(string text, string line) =>
        string.Join('\n', text.ReplaceLineEndings("\n").Split('\n').Where(candidate => candidate != line));

    [Fact]
    public void EveryPackedProjectListsItsPublicApiWithNullability()
    {
        string[] packed = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(path => File.ReadAllText(path).Contains("<IsPackable>true</IsPackable>", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(RepositoryPaths.Root, Path.GetDirectoryName(path)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Superset(new HashSet<string>(["src/Adapters", "src/Allocators", "src/Invariants", "src/Systematic"]), new HashSet<string>(packed));

        foreach (string project in packed)
        {
            foreach (string file in new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" })
            {
                string path = Path.Combine(RepositoryPaths.Root, project, file);
                Assert.True(File.Exists(path), $"{project} is packed but has no {file}");
                Assert.Equal("#nullable enable", File.ReadLines(path).FirstOrDefault());
            }
        }
    }

    [Theory]
    [MemberData(nameof(ProbeFiles))]
    public async Task TheAnalyzerReportsEveryDifferenceFromTheListedApi(string situation, string unshipped, string[] expectedIds)
    {
        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync(shipped: "#nullable enable", unshipped.ReplaceLineEndings("\n"));

        string[] reported = diagnostics.Select(d => d.Id).Where(id => id.StartsWith("RS", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.True(expectedIds.SequenceEqual(reported),
            $"{situation}: expected [{string.Join(", ", expectedIds)}], the analyzer reported [{string.Join(", ", diagnostics.Select(d => $"{d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}"))}]");
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string shipped, string unshipped)
    {
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Probe",
            [CSharpSyntaxTree.ParseText(ProbeSource)],
            DeterministicCodeRulesTests.PlatformReferences(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        ImmutableArray<Diagnostic> compileErrors = [.. compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)];
        Assert.True(compileErrors.IsEmpty, $"The probe must compile: {string.Join("; ", compileErrors)}");

        var options = new AnalyzerOptions(
        [
            new InMemoryAdditionalText("PublicAPI.Shipped.txt", shipped),
            new InMemoryAdditionalText("PublicAPI.Unshipped.txt", unshipped),
        ]);
        return await compilation.WithAnalyzers(PublicApiAnalyzers(), options).GetAnalyzerDiagnosticsAsync();
    }

    private static ImmutableArray<DiagnosticAnalyzer> PublicApiAnalyzers()
    {
        string dll = Path.Combine(RepositoryPaths.PublicApiAnalyzersPackage, "analyzers", "dotnet", "Microsoft.CodeAnalysis.PublicApiAnalyzers.dll");
        Assert.True(File.Exists(dll), $"PublicApiAnalyzers must be restored at {dll}");
        DiagnosticAnalyzer[] found = LoadableTypes(Assembly.LoadFrom(dll))
            .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type)
                        && type.GetCustomAttribute<DiagnosticAnalyzerAttribute>()?.Languages.Contains(LanguageNames.CSharp) == true)
            .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
            .ToArray();
        Assert.NotEmpty(found);
        return [.. found];
    }

    /// <summary>The assembly's types that load here; helpers that need packages the compiler host has but this test lacks are skipped.</summary>
    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException partial)
        {
            return partial.Types.OfType<Type>();
        }
    }

    private sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }
}
