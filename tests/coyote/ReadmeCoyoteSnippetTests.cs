using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.Coyote.Rewriting;
using Microsoft.Coyote.Runtime;

namespace Veralloc.Tests.Coyote;

/// <summary>
/// The README's Coyote example, run as a user would run it: compiled, rewritten by the pinned Coyote CLI, executed.
/// It must find the check-then-act bug it describes (tests/unit only compiles it: that assembly is not rewritten).
/// </summary>
public sealed partial class ReadmeCoyoteSnippetTests
{
    private static readonly string s_root = typeof(ReadmeCoyoteSnippetTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "RepositoryRoot").Value!;

    [Fact]
    public void TheReadmeExampleRewrittenFindsTheBugItDescribes()
    {
        string snippet = Assert.Single(CSharpBlock().Matches(File.ReadAllText(Path.Combine(s_root, "README.md"))),
            match => match.Groups["code"].Value.Contains("using Microsoft.Coyote", StringComparison.Ordinal)).Groups["code"].Value;
        DirectoryInfo folder = Directory.CreateTempSubdirectory("veralloc-readme-coyote-");
        string program = Path.Combine(folder.FullName, "ReadmeCoyote.dll");
        CompileTo(program, snippet);

        RewriteInPlace(folder.FullName, "ReadmeCoyote.dll");

        var context = new AssemblyLoadContext("readme-coyote", isCollectible: true);
        try
        {
            Assembly rewritten = context.LoadFromAssemblyPath(program);
            Assert.True(RewritingEngine.IsAssemblyRewritten(rewritten));

            var thrown = Assert.Throws<TargetInvocationException>(() => rewritten.EntryPoint!.Invoke(null, [Array.Empty<string>()]));

            AssertionFailureException bug = Assert.IsType<AssertionFailureException>(thrown.InnerException);
            Assert.Contains("a slot was free a moment ago, yet TryAllocate failed", bug.Message, StringComparison.Ordinal);
        }
        finally
        {
            context.Unload();
            folder.Delete(recursive: true);
        }
    }

    private static void CompileTo(string path, string source)
    {
        IEnumerable<MetadataReference> references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(file => Path.GetFileName(file).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(file) is "netstandard.dll" or "mscorlib.dll")
            .Concat(new[] { typeof(Veralloc.Allocators.Slots.SlotAllocator), typeof(Microsoft.Coyote.Configuration), typeof(Microsoft.Coyote.SystematicTesting.TestingEngine), typeof(Microsoft.Coyote.Actors.IActorRuntime) }
                .Select(type => type.Assembly.Location))
            .Select(file => MetadataReference.CreateFromFile(file));
        CSharpCompilation compilation = CSharpCompilation.Create(
            "ReadmeCoyote",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var emitted = compilation.Emit(path);
        Assert.True(emitted.Success, "the README's Coyote example does not compile:\n" + string.Join('\n', emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
    }

    /// <summary>The same command the build runs (CoyoteRewrite.targets), on one assembly, in place.</summary>
    private static void RewriteInPlace(string folder, string assembly)
    {
        string configuration = Path.Combine(folder, "rewrite.coyote.json");
        File.WriteAllText(configuration, $$"""{ "AssembliesPath": ".", "Assemblies": [ "{{assembly}}" ], "DependencySearchPaths": [ "{{AppContext.BaseDirectory}}" ] }""");
        var start = new ProcessStartInfo("dotnet", ["tool", "run", "coyote", "--", "rewrite", configuration])
        {
            WorkingDirectory = s_root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_ROLL_FORWARD"] = "Major";
        start.Environment["COYOTE_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using Process rewrite = Process.Start(start)!;
        Task<string> output = rewrite.StandardOutput.ReadToEndAsync();
        Task<string> errors = rewrite.StandardError.ReadToEndAsync();
        Assert.True(rewrite.WaitForExit(TimeSpan.FromMinutes(2)), "coyote rewrite did not finish in 2 minutes");
        Assert.True(rewrite.ExitCode == 0, $"coyote rewrite failed ({rewrite.ExitCode}):\n{output.Result}\n{errors.Result}");
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
