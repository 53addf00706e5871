using System.Reflection;
using System.Text.RegularExpressions;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Allocators.Slots;
using Veralloc.Allocators.Textbook;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.Reliability;

/// <summary>
/// Runs <see cref="HostileArgumentTables"/>: every hostile call must be rejected as specified (exact exception
/// type, a message naming the value and the rule, or false where running out is the outcome) with a full
/// snapshot of the subject unchanged; every public member that takes an argument must have rows; and the
/// README quotes the number of calls.
/// </summary>
public sealed partial class HostileArgumentMatrixTests
{
    /// <summary>The public types whose members the matrix must cover, and the tables that cover each.</summary>
    private static readonly (Type Type, string[] Tables)[] s_covered =
    [
        (typeof(FreeListAllocator), ["FreeListAllocator"]),
        (typeof(SegregatedFitAllocator), ["SegregatedFitAllocator"]),
        (typeof(SlotAllocator), ["SlotAllocator"]),
        (typeof(BumpAllocator), ["BumpAllocator"]),
        (typeof(LinkedListAllocator), ["LinkedListAllocator"]),
        (typeof(FixedSizeBlockAllocator), ["FixedSizeBlockAllocator"]),
        (typeof(FreeListLand), [nameof(FreeListLand)]),
        (typeof(TreeLand), [nameof(TreeLand)]),
        (typeof(LandExtensions), [nameof(FreeListLand), nameof(TreeLand)]),
        (typeof(SlabLinearMemory), ["slab memory"]),
        (typeof(NativeLinearMemory), ["native memory"]),
        (typeof(FaultInjectingMemory), ["fault-injecting memory", "FaultInjectingMemory controls"]),
    ];

    /// <summary>Members whose every argument value is valid, so there is nothing hostile to pass.</summary>
    private static readonly Dictionary<string, string> s_noHostileArgument = new(StringComparer.Ordinal)
    {
        ["SlotAllocator.TryAllocate"] = "every key, and null, is a valid affinity",
        ["SlotAllocator.GetAffineList"] = "every key is valid; one with no warm slot has an empty list",
        ["FreeListLand.Iterate"] = "its only argument is the caller's visitor; one that modifies the land is refused (InvalidOperationException) but its own change stands",
        ["TreeLand.Iterate"] = "as for FreeListLand.Iterate",
        ["FaultInjectingMemory.FailWhen"] = "every predicate, and null, is valid",
    };

    public static TheoryData<string> Subjects()
    {
        var subjects = new TheoryData<string>();
        foreach (IHostileTable table in HostileArgumentTables.Create())
        {
            subjects.Add(table.Subject);
        }

        return subjects;
    }

    [Theory]
    [MemberData(nameof(Subjects))]
    public void EveryHostileCallIsRejectedAndChangesNothing(string subject)
    {
        IHostileTable table = HostileArgumentTables.Create().Single(t => t.Subject == subject);

        IReadOnlyList<HostileOutcome> outcomes = table.Run();

        string[] failures = outcomes.Where(o => o.Failure is not null).Select(o => $"{o.EntryPoint}({o.Argument}): {o.Failure}").ToArray();
        Assert.True(failures.Length == 0, $"{subject}: {failures.Length} of {outcomes.Count} hostile calls misbehaved:\n{string.Join("\n", failures)}");
        Assert.NotEmpty(outcomes);
    }

    [Fact]
    public void EveryPublicMemberThatTakesAnArgumentHasHostileRows()
    {
        IReadOnlyList<IHostileTable> tables = HostileArgumentTables.Create();
        var missing = new List<string>();
        foreach ((Type type, string[] tableNames) in s_covered)
        {
            var entries = tables.Where(t => tableNames.Any(name => t.Subject.StartsWith(name, StringComparison.Ordinal)))
                .SelectMany(t => t.EntryPoints).ToHashSet(StringComparer.Ordinal);
            Assert.True(entries.Count > 0, $"no table covers {type.Name}");
            foreach (string member in MembersTakingArguments(type))
            {
                if (!entries.Contains(member) && !s_noHostileArgument.ContainsKey($"{type.Name}.{member}"))
                {
                    missing.Add($"{type.Name}.{member}");
                }
            }
        }

        Assert.True(missing.Count == 0, $"public members with arguments but no hostile rows: {string.Join(", ", missing)}");
    }

    [Fact]
    public void TheReadmeQuotesTheMatrixSize()
    {
        int calls = HostileArgumentTables.Create().Sum(table => table.Count);
        string readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));

        Match quoted = ReadmeFigure().Match(readme);

        Assert.True(quoted.Success, $"the README's reliability section must quote the hostile-argument matrix as '**N hostile calls**' (it now has {calls:N0})");
        Assert.Equal(calls, int.Parse(quoted.Groups["calls"].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture));
    }

    private static IEnumerable<string> MembersTakingArguments(Type type)
    {
        const BindingFlags Public = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (MethodInfo method in type.GetMethods(Public).Where(m => !m.IsSpecialName && m.GetParameters().Any(p => !p.IsOut)))
        {
            yield return method.Name;
        }

        if (type.GetConstructors().Any(c => c.GetParameters().Length > 0))
        {
            yield return ".ctor";
        }
    }

    [GeneratedRegex(@"\*\*(?<calls>[\d,]+) hostile calls\*\*")]
    private static partial Regex ReadmeFigure();
}
