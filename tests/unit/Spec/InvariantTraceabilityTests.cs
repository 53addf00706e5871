using System.Reflection;
using System.Text.RegularExpressions;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.Spec;

/// <summary>
/// Spec ↔ code ↔ test traceability, in both directions: every invariant id in a <c>spec/*.md</c>
/// invariants table is declared as a constant in <c>src/Invariants/InvariantIds</c>, every declared id is in the
/// spec, and every id is triggered: some test marked <see cref="TriggersInvariantAttribute"/> breaks the invariant and
/// observes an exception carrying exactly that id from an allocator's checks. The triggering tests are run by this
/// class itself, so a comment or a list of names satisfies nothing.
/// </summary>
public sealed partial class InvariantTraceabilityTests
{
    private static readonly string s_root = RepositoryPaths.Root;

    // Run once for both trigger facts.
    private static readonly Lazy<IReadOnlyList<TriggerRun>> s_triggerRuns = new(RunTriggeringTests);

    [Fact]
    public void EverySpecifiedIdIsDeclaredInCode()
    {
        IReadOnlyDictionary<string, string> specified = SpecifiedIds();
        IReadOnlyDictionary<string, IdConstant> declared = DeclaredIds();

        string[] missing = specified.Keys.Where(id => !declared.ContainsKey(id)).Order(StringComparer.Ordinal)
            .Select(id => $"{id} (in {specified[id]})").ToArray();

        Assert.True(missing.Length == 0, $"Specified invariant ids with no constant in src/Invariants/InvariantIds: {string.Join(", ", missing)}");
        Assert.NotEmpty(specified);
    }

    [Fact]
    public void EveryDeclaredIdIsSpecified()
    {
        IReadOnlyDictionary<string, string> specified = SpecifiedIds();
        string[] unspecified = DeclaredIds().Values.Where(constant => !specified.ContainsKey(constant.Id))
            .Select(constant => $"{constant.Id} ({constant.QualifiedName})").Order(StringComparer.Ordinal).ToArray();

        Assert.True(unspecified.Length == 0, $"Invariant ids declared in code but absent from every spec/*.md invariants table: {string.Join(", ", unspecified)}");
    }

    /// <summary>
    /// Every test marked <see cref="TriggersInvariantAttribute"/> is run here, row by row, so the result does not depend
    /// on which tests the runner ran first: each must pass and observe, through <see cref="InvariantAssert"/>, exactly the
    /// ids it declares (an exception carrying the id, raised by an allocator's code).
    /// </summary>
    [Fact]
    public void EveryTriggeringTestObservesExactlyTheIdsItDeclares()
    {
        IReadOnlyDictionary<string, string> specified = SpecifiedIds();
        string[] wrong = s_triggerRuns.Value
            .Select(run => run.Failure is not null
                ? $"{run.Test} failed: {run.Failure.GetType().Name}: {run.Failure.Message}"
                : run.Declared.SetEquals(run.Observed) && run.Declared.All(specified.ContainsKey)
                    ? null
                    : $"{run.Test} declares [{string.Join(", ", run.Declared.Order(StringComparer.Ordinal))}] but observed [{string.Join(", ", run.Observed.Order(StringComparer.Ordinal))}]" +
                      (run.Declared.All(specified.ContainsKey) ? "" : " (a declared id is in no spec/*.md invariants table)"))
            .OfType<string>()
            .ToArray();

        Assert.True(wrong.Length == 0, "Triggering tests that do not observe what they declare:\n" + string.Join("\n", wrong));
        Assert.NotEmpty(s_triggerRuns.Value);
    }

    /// <summary>
    /// Every invariant id in spec/ is raised by product code in at least one test that breaks it on purpose (checked by
    /// running those tests, not by finding the id's name in a file). The id's checking code is thereby shown to exist
    /// and to report that id.
    /// </summary>
    [Fact]
    public void EverySpecifiedIdIsTriggeredByATest()
    {
        IReadOnlyDictionary<string, string> specified = SpecifiedIds();
        var observed = s_triggerRuns.Value.Where(run => run.Failure is null && run.Declared.SetEquals(run.Observed))
            .SelectMany(run => run.Observed).ToHashSet(StringComparer.Ordinal);
        string[] untriggered = specified.Keys.Where(id => !observed.Contains(id)).Order(StringComparer.Ordinal)
            .Select(id => $"{id} (in {specified[id]})").ToArray();

        Assert.True(untriggered.Length == 0,
            "Invariant ids that no test triggers and observes (add a test that breaks the invariant, asserts it with " +
            $"InvariantAssert.Violates and carries [TriggersInvariant(id)]): {string.Join(", ", untriggered)}");
    }

    [Fact]
    public void CodeCitesOnlyRegisteredIds()
    {
        IReadOnlyDictionary<string, string> specified = SpecifiedIds();
        string[] prefixes = specified.Keys.Select(id => id[..(id.IndexOf('-', StringComparison.Ordinal) + 1)]).Distinct().ToArray();
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string path in SourceFiles("src").Concat(SourceFiles("tests")))
        {
            foreach (Match match in QuotedId().Matches(File.ReadAllText(path)))
            {
                string id = match.Groups["id"].Value;
                if (prefixes.Any(prefix => id.StartsWith(prefix, StringComparison.Ordinal)) && !specified.ContainsKey(id))
                {
                    unknown.Add($"{id} ({Path.GetRelativePath(s_root, path)})");
                }
            }
        }

        Assert.True(unknown.Count == 0, $"Code cites invariant ids that no spec defines: {string.Join(", ", unknown)}");
    }

    /// <summary>Runs every [TriggersInvariant] test of this assembly, one run per data row, recording the ids it observed.</summary>
    private static IReadOnlyList<TriggerRun> RunTriggeringTests()
    {
        var runs = new List<TriggerRun>();
        IEnumerable<MethodInfo> methods = typeof(InvariantTraceabilityTests).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(method => method.IsDefined(typeof(TriggersInvariantAttribute)))
            .OrderBy(method => method.DeclaringType!.FullName, StringComparer.Ordinal)
            .ThenBy(method => method.Name, StringComparer.Ordinal);
        foreach (MethodInfo method in methods)
        {
            var declared = method.GetCustomAttributes<TriggersInvariantAttribute>().Select(trigger => trigger.Id).ToHashSet(StringComparer.Ordinal);
            string name = $"{method.DeclaringType!.Name}.{method.Name}";
            FactAttribute? fact = method.GetCustomAttribute<FactAttribute>();
            if (fact is null || fact.Skip is not null)
            {
                runs.Add(new TriggerRun(name, declared, new HashSet<string>(), new InvalidOperationException("a triggering test must be a [Fact] or [Theory] that is not skipped")));
                continue;
            }

            object?[][] rows = fact is TheoryAttribute
                ? method.GetCustomAttributes<Xunit.Sdk.DataAttribute>().SelectMany(data => data.GetData(method)).ToArray()
                : [[]];
            foreach (object?[] row in rows)
            {
                string test = rows.Length == 1 && row.Length == 0 ? name : $"{name}({string.Join(", ", row)})";
                try
                {
                    runs.Add(new TriggerRun(test, declared, InvariantAssert.Observe(() => Invoke(method, row)), null));
                }
                catch (Exception failure)
                {
                    runs.Add(new TriggerRun(test, declared, new HashSet<string>(), failure));
                }
            }
        }

        return runs;
    }

    private static void Invoke(MethodInfo method, object?[] row)
    {
        ParameterInfo[] parameters = method.GetParameters();
        object?[] arguments = row.Select((value, i) => value is IConvertible && value.GetType() != parameters[i].ParameterType
            ? Convert.ChangeType(value, parameters[i].ParameterType, System.Globalization.CultureInfo.InvariantCulture)
            : value).ToArray();
        object? instance = method.IsStatic ? null : Activator.CreateInstance(method.DeclaringType!);
        try
        {
            if (method.Invoke(instance, BindingFlags.DoNotWrapExceptions, null, arguments, null) is Task task)
            {
                task.GetAwaiter().GetResult();
            }
        }
        finally
        {
            (instance as IDisposable)?.Dispose();
        }
    }

    private sealed record TriggerRun(string Test, IReadOnlySet<string> Declared, IReadOnlySet<string> Observed, Exception? Failure);

    /// <summary>Ids from the first column of every spec/*.md table whose header starts with "| id |".</summary>
    internal static IReadOnlyDictionary<string, string> SpecifiedIds()
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(Path.Combine(s_root, "spec"), "*.md"))
        {
            bool inInvariantTable = false;
            foreach (string line in File.ReadLines(path))
            {
                string trimmed = line.Trim();
                if (!trimmed.StartsWith('|'))
                {
                    inInvariantTable = false;
                    continue;
                }

                string firstCell = trimmed.Split('|', StringSplitOptions.TrimEntries)[1].Trim('`');
                if (firstCell.Equals("id", StringComparison.OrdinalIgnoreCase))
                {
                    inInvariantTable = true;
                }
                else if (inInvariantTable && IdPattern().IsMatch(firstCell))
                {
                    ids.TryAdd(firstCell, Path.GetFileName(path));
                }
            }
        }

        return ids;
    }

    private static IReadOnlyDictionary<string, IdConstant> DeclaredIds()
    {
        var ids = new Dictionary<string, IdConstant>(StringComparer.Ordinal);
        string folder = Path.Combine(s_root, "src", "Invariants", "InvariantIds");
        foreach (string path in Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.cs") : [])
        {
            string text = File.ReadAllText(path);
            string className = ClassName().Match(text).Groups["name"].Value;
            foreach (Match match in ConstantDeclaration().Matches(text))
            {
                var constant = new IdConstant(match.Groups["id"].Value, className, match.Groups["name"].Value);
                Assert.True(ids.TryAdd(constant.Id, constant), $"Invariant id {constant.Id} is declared twice ({constant.QualifiedName}, {ids.GetValueOrDefault(constant.Id)?.QualifiedName}).");
            }
        }

        return ids;
    }

    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(s_root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !path.EndsWith("InvariantTraceabilityTests.cs", StringComparison.Ordinal));

    private sealed record IdConstant(string Id, string ClassName, string ConstantName)
    {
        public string QualifiedName => $"{ClassName}.{ConstantName}";
    }

    [GeneratedRegex(@"^[A-Z]+(-[A-Z0-9]+)+$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"const\s+string\s+(?<name>\w+)\s*=\s*""(?<id>[A-Z]+(-[A-Z0-9]+)+)""")]
    private static partial Regex ConstantDeclaration();

    [GeneratedRegex(@"static\s+class\s+(?<name>\w+)")]
    private static partial Regex ClassName();

    [GeneratedRegex(@"""(?<id>[A-Z]{2,}(-[A-Z0-9]+)+)""")]
    private static partial Regex QuotedId();
}
