using System.Text.RegularExpressions;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.Spec;

/// <summary>
/// Spec ↔ code ↔ test traceability, in both directions: every invariant id in a <c>spec/*.md</c>
/// invariants table is declared as a constant in <c>src/Invariants/InvariantIds</c>, that constant is used
/// by checking code, and some test names it; every declared id is in the spec. An id with no code, a
/// checker with no id, or an id no test exercises fails here.
/// </summary>
public sealed partial class InvariantTraceabilityTests
{
    private static readonly string s_root = RepositoryPaths.Root;

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

    [Fact]
    public void EveryDeclaredIdHasCheckingCode()
    {
        string[] sources = SourceFiles("src").Where(path => !path.Contains("InvariantIds", StringComparison.Ordinal)).Select(File.ReadAllText).ToArray();
        string[] unchecked_ = DeclaredIds().Values
            .Where(constant => !sources.Any(text => constant.IsNamedIn(text)))
            .Select(constant => constant.QualifiedName).Order(StringComparer.Ordinal).ToArray();

        Assert.True(unchecked_.Length == 0, $"Invariant ids that no code under src/ reports: {string.Join(", ", unchecked_)}");
    }

    [Fact]
    public void EveryDeclaredIdIsExercisedByATest()
    {
        string[] tests = SourceFiles("tests").Select(File.ReadAllText).ToArray();
        string[] untested = DeclaredIds().Values
            .Where(constant => !tests.Any(text => constant.IsNamedIn(text)))
            .Select(constant => constant.QualifiedName).Order(StringComparer.Ordinal).ToArray();

        Assert.True(untested.Length == 0, $"Invariant ids that no test under tests/ names: {string.Join(", ", untested)}");
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

    /// <summary>Ids from the first column of every spec/*.md table whose header starts with "| id |".</summary>
    private static IReadOnlyDictionary<string, string> SpecifiedIds()
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

        public bool IsNamedIn(string text) =>
            text.Contains(QualifiedName, StringComparison.Ordinal) || text.Contains($"\"{Id}\"", StringComparison.Ordinal);
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
