namespace Veralloc.Fuzz;

/// <summary>Runs one fuzz input through the code under test; any exception it lets escape is a finding.</summary>
/// <param name="input">The fuzz input.</param>
public delegate void FuzzEntry(ReadOnlySpan<byte> input);

/// <summary>A fuzz target.</summary>
/// <param name="Name">The name <c>fuzz/run</c> and the corpus folder use.</param>
/// <param name="Subject">What it drives, in a few words.</param>
/// <param name="InstrumentedAssemblies">The assemblies whose coverage guides afl-fuzz (file names in the publish folder).</param>
/// <param name="Run">The target function.</param>
public sealed record FuzzTarget(string Name, string Subject, IReadOnlyList<string> InstrumentedAssemblies, FuzzEntry Run);

/// <summary>Every fuzz target, by name: what <c>fuzz/run TARGET SECONDS</c> accepts and the corpus test replays.</summary>
public static class FuzzTargets
{
    private const string Allocators = "Veralloc.Allocators.dll";

    /// <summary>The targets in a fixed order.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("trace-parser", "the allocation-trace parser (bench)", ["Veralloc.Bench.dll"], TraceParserTarget.Run),
        new("schedule-trace", "the schedule-trace parser (systematic engine)", ["Veralloc.Systematic.dll"], ScheduleTraceTarget.Run),
        new("freelist", "FreeListAllocator operation sequences", [Allocators], FreeListTarget.Run),
        new("segfit", "SegregatedFitAllocator operation sequences", [Allocators], SegregatedFitTarget.Run),
        new("freelist-land", "FreeListLand operation sequences", [Allocators], LandTarget.RunFreeListLand),
        new("tree-land", "TreeLand operation sequences", [Allocators], LandTarget.RunTreeLand),
    ];

    /// <summary>The target called <paramref name="name"/>.</summary>
    /// <param name="name">A target name.</param>
    /// <returns>The target.</returns>
    /// <exception cref="ArgumentException">No target has that name; the message lists them.</exception>
    public static FuzzTarget Get(string name) =>
        All.FirstOrDefault(target => target.Name == name)
        ?? throw new ArgumentException($"Unknown fuzz target '{name}'; the targets are {string.Join(", ", All.Select(target => target.Name))}.", nameof(name));
}
