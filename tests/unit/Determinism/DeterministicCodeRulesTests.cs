using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Veralloc.Analyzers;

namespace Veralloc.Tests.Unit.Determinism;

/// <summary>
/// Guards the build rules of docs/design-notes/0001-banned-apis.md: the real analyzers, with the
/// repository's BannedSymbols.txt, must reject every uncontrolled construct in allocator code, and the
/// two lock seams (ThreadingLock, MonitorLock) must stay the only exemptions. If the wiring rots, these fail.
/// </summary>
public sealed class DeterministicCodeRulesTests
{
    public static TheoryData<string, string> ForbiddenSnippets => new()
    {
        { "lock (_gate) { }", LockStatementAnalyzer.DiagnosticId },
        { "System.Threading.Monitor.Enter(_gate);", "RS0030" },
        { "var gate = new System.Threading.Lock(); gate.Enter();", "RS0030" },
        { "System.Threading.Thread.Sleep(1);", "RS0030" },
        { "System.Threading.Interlocked.Increment(ref _counter);", "RS0030" },
        { "System.Threading.Tasks.Task.Run(() => { });", "RS0030" },
        { "var bag = new System.Collections.Concurrent.ConcurrentBag<int>();", "RS0030" },
        { "var now = System.DateTime.Now;", "RS0030" },
        { "var ticks = System.Environment.TickCount64;", "RS0030" },
        { "var random = new System.Random();", "RS0030" },
        { "var value = System.Random.Shared.Next();", "RS0030" },
        { "var watch = System.Diagnostics.Stopwatch.StartNew();", "RS0030" },
        { "var id = System.Guid.NewGuid();", "RS0030" },
    };

    [Theory]
    [MemberData(nameof(ForbiddenSnippets))]
    public async Task ForbiddenConstructIsReported(string statement, string expectedDiagnosticId)
    {
        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync(statement);

        Assert.Contains(diagnostics, diagnostic => diagnostic.Id == expectedDiagnosticId);
    }

    [Fact]
    public async Task SeededRandomAndPlainCodeAreAllowed()
    {
        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync("var random = new System.Random(42); _counter += random.Next(3);");

        Assert.Empty(diagnostics);
    }

    [Fact]
    public void OnlyTheTwoLockSeamsSuppressTheBannedApiRule()
    {
        string allocatorSources = Path.Combine(RepositoryPaths.Root, "src");
        string[] suppressing = Directory.EnumerateFiles(allocatorSources, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(path => path.Contains($"{Path.DirectorySeparatorChar}Allocators{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        || path.Contains($"{Path.DirectorySeparatorChar}Invariants{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(path => File.ReadAllText(path).Contains("warning disable RS0030", StringComparison.Ordinal)
                        || File.ReadAllText(path).Contains("warning disable VA0001", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(RepositoryPaths.Root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();

        // ThreadingLock: the production default. MonitorLock: the lock Microsoft Coyote's rewriter controls (0026).
        Assert.Equal(["src/Allocators/Concurrency/MonitorLock.cs", "src/Allocators/Concurrency/ThreadingLock.cs"], suppressing);
    }

    [Fact]
    public void DeterministicProjectsOptIntoTheRules()
    {
        foreach (string project in new[] { "src/Allocators/Veralloc.Allocators.csproj", "src/Invariants/Veralloc.Invariants.csproj" })
        {
            string text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, project));
            Assert.Contains("<VerallocDeterministicCode>true</VerallocDeterministicCode>", text, StringComparison.Ordinal);
        }
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string statement)
    {
        string source = $$"""
            namespace Probe;
            internal sealed class AllocatorLikeCode
            {
                private readonly object _gate = new();
                private long _counter;
                internal void Run()
                {
                    {{statement}}
                }
            }
            """;
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Probe",
            [CSharpSyntaxTree.ParseText(source)],
            PlatformReferences(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        ImmutableArray<Diagnostic> compileErrors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        Assert.True(compileErrors.IsEmpty, $"The probe must compile: {string.Join("; ", compileErrors)}");

        string bannedSymbols = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "BannedSymbols.txt"));
        var options = new AnalyzerOptions([new InMemoryAdditionalText("BannedSymbols.txt", bannedSymbols)]);
        ImmutableArray<DiagnosticAnalyzer> analyzers = [.. BannedApiAnalyzers(), new LockStatementAnalyzer()];
        return await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync();
    }

    private static IEnumerable<DiagnosticAnalyzer> BannedApiAnalyzers()
    {
        string dll = Path.Combine(RepositoryPaths.BannedApiAnalyzersPackage, "analyzers", "dotnet", "cs", "Microsoft.CodeAnalysis.CSharp.BannedApiAnalyzers.dll");
        Assert.True(File.Exists(dll), $"BannedApiAnalyzers must be restored at {dll}");
        Assembly assembly = Assembly.LoadFrom(dll);
        DiagnosticAnalyzer[] found = assembly.GetTypes()
            .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type) && type.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
            .ToArray();
        Assert.NotEmpty(found);
        return found;
    }

    /// <summary>The runtime's own System.* assemblies, for compiling probe code in memory.</summary>
    internal static IEnumerable<MetadataReference> PlatformReferences() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll" or "mscorlib.dll")
            .Select(path => MetadataReference.CreateFromFile(path));

    private sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }
}
