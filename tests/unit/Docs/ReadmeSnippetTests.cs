using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Veralloc.Allocators.FreeList;
using Veralloc.Invariants;
using Veralloc.Systematic;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.Docs;

/// <summary>
/// The C# in README.md compiles against the real assemblies and does what the README says when run: a quick
/// start that no longer compiles is the first thing a new user would hit.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    [Fact]
    public void TheQuickStartSnippetsCompileAndRun()
    {
        // The Coyote example needs rewriting to run; TheCoyoteSnippetCompiles covers it.
        string[] snippets = [.. Snippets().Where(s => s.Contains("Veralloc.Allocators", StringComparison.Ordinal) && !IsCoyoteSnippet(s))];
        Assert.True(snippets.Length >= 2, $"expected the free-list and slot quick starts in README.md, found {snippets.Length} snippet(s)");

        Assembly program = Compile(snippets, extraSource: null);

        Exception? thrown = Run(program);
        Assert.Null(thrown);
    }

    [Fact]
    public void TheSystematicSnippetFindsTheLostUpdateAndFailsTheTest()
    {
        string[] snippets = [.. Snippets().Where(s => s.Contains("SystematicTest.Run", StringComparison.Ordinal) && s.Contains("SplitCounter", StringComparison.Ordinal))];
        Assert.Single(snippets);

        // The README leaves the user's class out; this is the one it describes (read and write in two sections).
        const string userCode = """
            internal sealed class SplitCounter(Veralloc.Systematic.ControlledLock gate)
            {
                public int Value { get; private set; }

                public void Increment()
                {
                    gate.Enter();
                    int seen = Value;
                    gate.Exit();
                    gate.Enter();
                    Value = seen + 1;
                    gate.Exit();
                }
            }
            """;
        Assembly program = Compile(snippets, userCode);

        Exception? thrown = Run(program);
        BugFoundException bug = Assert.IsType<BugFoundException>(thrown);
        Assert.Contains("both increments counted", bug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSharedStateSnippetReportsTheDataRace()
    {
        string[] snippets = [.. Snippets().Where(s => s.Contains("CreateShared", StringComparison.Ordinal))];
        Assert.Single(snippets);

        Exception? thrown = Run(Compile(snippets, extraSource: null));
        BugFoundException bug = Assert.IsType<BugFoundException>(thrown);
        Assert.Equal(BugKind.DataRace, bug.Report.Kind);
        Assert.Contains("data race on 'hits'", bug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLinearizabilitySnippetReportsTheLostIncrementWithTheHistoryPerThread()
    {
        string[] snippets = [.. Snippets().Where(s => s.Contains("ctx.Linearizable", StringComparison.Ordinal))];
        Assert.Single(snippets);

        Exception? thrown = Run(Compile(snippets, extraSource: null));
        BugFoundException bug = Assert.IsType<BugFoundException>(thrown);
        Assert.Equal(BugKind.NotLinearizable, bug.Report.Kind);
        Assert.Contains("-> 1, where the model returns 2", bug.Message, StringComparison.Ordinal);
        Assert.Contains("\n  t1  |- next -> 1 -----|\n  t2    |- next -> 1 -|", bug.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The Coyote example compiles against the real Coyote and Veralloc assemblies. It is not run here: Coyote controls
    /// only rewritten code, and this assembly is not rewritten. tests/coyote (<c>ReadmeCoyoteSnippetTests</c>)
    /// compiles it again, rewrites it with the pinned Coyote CLI and runs it, and requires the bug it describes.
    /// </summary>
    [Fact]
    public void TheCoyoteSnippetCompiles()
    {
        string snippet = Assert.Single(Snippets(), IsCoyoteSnippet);

        Assembly program = Compile([snippet], extraSource: null);

        Assert.NotNull(program.EntryPoint);
        Assert.Contains("new MonitorLock()", snippet, StringComparison.Ordinal);
    }

    private static bool IsCoyoteSnippet(string snippet) => snippet.Contains("using Microsoft.Coyote", StringComparison.Ordinal);

    private static IEnumerable<string> Snippets()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        return CSharpBlock().Matches(readme).Select(match => match.Groups["code"].Value);
    }

    /// <summary>
    /// Joins snippets into one top-level program, usings first, and compiles it in memory, with the implicit usings a
    /// new console project has (the README's snippets are written for one).
    /// </summary>
    private static Assembly Compile(IEnumerable<string> snippets, string? extraSource)
    {
        var usings = new SortedSet<string>(StringComparer.Ordinal)
        {
            "using System;", "using System.Collections.Generic;", "using System.IO;", "using System.Linq;",
            "using System.Threading;", "using System.Threading.Tasks;",
        };
        var statements = new List<string>();
        foreach (string line in snippets.SelectMany(s => s.Split('\n')))
        {
            if (line.StartsWith("using ", StringComparison.Ordinal) && line.TrimEnd().EndsWith(';') && !line.Contains('='))
            {
                usings.Add(line.Trim());
            }
            else
            {
                statements.Add(line);
            }
        }

        string program = string.Join('\n', usings) + "\n" + string.Join('\n', statements) + "\n" + (extraSource ?? string.Empty);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "ReadmeProgram",
            [CSharpSyntaxTree.ParseText(program, new CSharpParseOptions(LanguageVersion.Latest))],
            References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));

        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, "README code does not compile:\n" + string.Join('\n', emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)) + "\n---\n" + program);
        image.Position = 0;
        return new AssemblyLoadContext("readme", isCollectible: true).LoadFromStream(image);
    }

    private static Exception? Run(Assembly program)
    {
        MethodInfo entry = program.EntryPoint ?? throw new InvalidOperationException("no entry point");
        try
        {
            entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
            return null;
        }
        catch (TargetInvocationException invocation)
        {
            return invocation.InnerException;
        }
    }

    private static IEnumerable<MetadataReference> References() =>
        DeterministicCodeRulesTests.PlatformReferences().Concat(
            new[] { typeof(FreeListAllocator), typeof(InvariantViolation), typeof(SystematicTest), typeof(Microsoft.Coyote.Configuration), typeof(Microsoft.Coyote.SystematicTesting.TestingEngine), typeof(Microsoft.Coyote.Actors.IActorRuntime) }
                .Select(type => MetadataReference.CreateFromFile(type.Assembly.Location)));

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
