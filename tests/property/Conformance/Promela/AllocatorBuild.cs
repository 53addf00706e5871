using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Veralloc.Allocators.FreeList;
using Veralloc.Invariants;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// One build of <c>Veralloc.Allocators</c>: the shipped assembly, or its source recompiled in memory with one line
/// changed (<see cref="PlantedBug"/>). The conformance harness drives both through reflection, by type and member
/// name, so the code that catches a planted bug is exactly the code that checks the shipped allocators.
/// </summary>
internal sealed class AllocatorBuild
{
    private static readonly ConcurrentDictionary<PlantedBug, Lazy<AllocatorBuild>> s_mutants = new();

    private AllocatorBuild(Assembly assembly, string description)
    {
        Assembly = assembly;
        Description = description;
    }

    /// <summary>The allocators this repository ships (the project reference).</summary>
    public static AllocatorBuild Shipped { get; } = new(typeof(FreeListAllocator).Assembly, "the shipped allocators");

    public Assembly Assembly { get; }

    public string Description { get; }

    /// <summary>The allocators' source with <paramref name="bug"/> applied, compiled once per test run.</summary>
    public static AllocatorBuild WithBug(PlantedBug bug) =>
        s_mutants.GetOrAdd(bug, b => new Lazy<AllocatorBuild>(() => Compile(b))).Value;

    public Reflected Create(string typeName, params object?[] arguments) => new(CreateObject(typeName, arguments));

    public object CreateObject(string typeName, params object?[] arguments) =>
        Activator.CreateInstance(Type(typeName), BindingFlags.Public | BindingFlags.Instance | BindingFlags.DoNotWrapExceptions, null, arguments, null)
        ?? throw new InvalidOperationException($"{typeName} could not be created");

    public Type Type(string name) =>
        Assembly.GetType(name, throwOnError: false) ?? throw new InvalidOperationException($"{Description} have no type {name}: the harness is out of date");

    private static AllocatorBuild Compile(PlantedBug bug)
    {
        string sourceRoot = Path.Combine(RepositoryFiles.Root, "src", "Allocators");
        string[] files = Directory.EnumerateFiles(sourceRoot, "*.cs", SearchOption.AllDirectories)
            .Where(path => !IsBuildOutput(path))
            .Order(StringComparer.Ordinal)
            .ToArray();
        string target = Path.GetFullPath(Path.Combine(RepositoryFiles.Root, bug.File));
        if (!files.Contains(target, StringComparer.Ordinal))
        {
            throw new InvalidOperationException($"planted bug {bug.Name}: {bug.File} is not an allocator source file");
        }

        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new List<SyntaxTree>
        {
            // The project's ImplicitUsings (Microsoft.NET.Sdk): the sources rely on them.
            CSharpSyntaxTree.ParseText(
                "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
                "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;", parse),
        };
        foreach (string file in files)
        {
            string text = File.ReadAllText(file);
            if (file == target)
            {
                text = bug.Apply(text);
            }

            trees.Add(CSharpSyntaxTree.ParseText(text, parse, file));
        }

        string[] platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        IEnumerable<MetadataReference> references = platform
            .Append(typeof(InvariantViolation).Assembly.Location)
            .Select(path => MetadataReference.CreateFromFile(path));
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Veralloc.Allocators",
            trees,
            references,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: OptimizationLevel.Release,
                allowUnsafe: true,
                nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(image);
        if (!result.Success)
        {
            string errors = string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10));
            throw new InvalidOperationException($"planted bug {bug.Name}: the mutated allocators do not compile:\n{errors}");
        }

        // A context of its own: the mutant has the shipped assembly's name, and its Veralloc.Invariants must be the
        // test's, so that an InvariantViolationException it throws is the type the harness catches.
        var context = new AssemblyLoadContext($"planted bug {bug.Name}", isCollectible: false);
        image.Position = 0;
        return new AllocatorBuild(context.LoadFromStream(image), $"the allocators with planted bug {bug.Name}");
    }

    private static bool IsBuildOutput(string path)
    {
        char s = Path.DirectorySeparatorChar;
        return path.Contains($"{s}obj{s}", StringComparison.Ordinal) || path.Contains($"{s}bin{s}", StringComparison.Ordinal);
    }
}

/// <summary>
/// A deliberate one-line bug in the allocators' C# source (never in a model): <see cref="Line"/> (a whole line, trimmed)
/// must occur exactly once in <see cref="File"/>, and becomes <see cref="Replacement"/>. As with spec/check's sed
/// mutants of the models, a line that no longer occurs exactly once fails the test: the code moved on.
/// </summary>
internal sealed record PlantedBug(string Name, string File, string Line, string Replacement)
{
    /// <summary>
    /// First fit skips a block whose aligned carve position is exactly its start (off by one: <c>&gt;</c> for
    /// <c>&gt;=</c>), so whole-block carves never happen. Every FL-* invariant still holds.
    /// </summary>
    public static PlantedBug FreeListSkipsAWholeBlockCarve { get; } = new(
        "free list: carve at a block's start refused",
        "src/Allocators/FreeList/FreeListAllocator.cs",
        "if (position >= block)",
        "if (position > block)");

    /// <summary>
    /// At exactly the warm threshold the pool still takes a cold slot instead of evicting the least recently freed warm
    /// one (off by one: <c>&lt;=</c> for <c>&lt;</c>). Every SLOT-* invariant still holds.
    /// </summary>
    public static PlantedBug SlotsColdSlotAtTheThreshold { get; } = new(
        "slots: cold slot taken at the threshold",
        "src/Allocators/Slots/SlotAllocator.cs",
        "if (_unusedWarm < _maxUnusedWarm)",
        "if (_unusedWarm <= _maxUnusedWarm)");

    /// <summary>The source with the bug planted; throws when <see cref="Line"/> does not occur exactly once.</summary>
    public string Apply(string source)
    {
        string[] lines = source.Split('\n');
        int[] hits = Enumerable.Range(0, lines.Length).Where(i => lines[i].Trim() == Line).ToArray();
        if (hits.Length != 1)
        {
            throw new InvalidOperationException(
                $"planted bug {Name}: `{Line}` occurs {hits.Length} times in {File}, not once: the code moved on, update the bug");
        }

        lines[hits[0]] = lines[hits[0]].Replace(Line, Replacement, StringComparison.Ordinal);
        return string.Join('\n', lines);
    }

    public override string ToString() => $"{Name} ({File}: `{Line}` -> `{Replacement}`)";
}

/// <summary>An object of some <see cref="AllocatorBuild"/>, called by member name.</summary>
internal sealed class Reflected(object target)
{
    private const BindingFlags Members = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;

    public object Target { get; } = target;

    /// <summary>Calls method <paramref name="name"/>; out parameters are written back into <paramref name="arguments"/>.</summary>
    public object? Call(string name, object?[] arguments)
    {
        MethodInfo method = Target.GetType().GetMethods(Members).SingleOrDefault(m => m.Name == name && m.GetParameters().Length == arguments.Length)
            ?? throw new InvalidOperationException($"{Target.GetType().Name} has no single method {name} with {arguments.Length} parameters");
        return method.Invoke(Target, BindingFlags.DoNotWrapExceptions, null, arguments, null);
    }

    public object? Call(string name) => Call(name, []);

    public T Get<T>(string property) => (T)Get(property)!;

    public object? Get(string property) =>
        (Target.GetType().GetProperty(property, Members) ?? throw new InvalidOperationException($"{Target.GetType().Name} has no property {property}"))
            .GetValue(Target);

    /// <summary>Sets a property, init-only ones included (options records).</summary>
    public void Set(string property, object? value) =>
        (Target.GetType().GetProperty(property, Members) ?? throw new InvalidOperationException($"{Target.GetType().Name} has no property {property}"))
            .SetValue(Target, value);

    public static T Get<T>(object target, string property) => new Reflected(target).Get<T>(property);
}
