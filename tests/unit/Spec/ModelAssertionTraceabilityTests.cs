using System.Text.RegularExpressions;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.Spec;

/// <summary>
/// Spec ↔ SPIN model traceability: the table "Invariant ids and their model assertions" in spec/models.md maps every
/// invariant id in spec/ to the model that asserts it (<c>INV(id, …)</c> in spec/promela) and to the spec/check mutant
/// that makes that assertion fail, or says why there is none. The table is checked against the models and the script
/// themselves, not against names in prose.
/// </summary>
public sealed partial class ModelAssertionTraceabilityTests
{
    private static readonly string s_spec = Path.Combine(RepositoryPaths.Root, "spec");

    [Fact]
    public void EverySpecifiedIdHasExactlyOneRow()
    {
        IReadOnlyList<Row> rows = Rows();
        string[] problems = InvariantTraceabilityTests.SpecifiedIds().Keys.Order(StringComparer.Ordinal)
            .Select(id => (id, count: RowsFor(rows, id).Count()))
            .Where(entry => entry.count != 1)
            .Select(entry => $"{entry.id}: {entry.count} rows")
            .ToArray();

        Assert.True(problems.Length == 0, $"spec/models.md must map every invariant id exactly once: {string.Join(", ", problems)}");
    }

    [Fact]
    public void EveryRowNamesTheModelsThatAssertItsIds()
    {
        IReadOnlyDictionary<string, string> specified = InvariantTraceabilityTests.SpecifiedIds();
        IReadOnlyDictionary<string, HashSet<string>> asserted = AssertedIds();
        var problems = new List<string>();
        foreach (Row row in Rows())
        {
            string[] ids = specified.Keys.Where(row.Covers).Order(StringComparer.Ordinal).ToArray();
            if (ids.Length == 0)
            {
                problems.Add($"row {row.Invariant} covers no id of spec/");
            }

            foreach (string id in ids)
            {
                HashSet<string> models = asserted.GetValueOrDefault(id) ?? [];
                if (row.Models.Count == 0 && !row.ModelCell.StartsWith("none: ", StringComparison.Ordinal))
                {
                    problems.Add($"{id}: the model cell names no .pml file and gives no `none: reason`");
                }
                else if (!models.SetEquals(row.Models))
                {
                    problems.Add($"{id}: the table names [{string.Join(", ", row.Models.Order())}], INV({id}, …) is in [{string.Join(", ", models.Order())}]");
                }
            }
        }

        string[] unknown = asserted.Keys.Where(id => !specified.ContainsKey(id)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(unknown.Length == 0, $"the models assert ids that no spec/*.md invariants table defines: {string.Join(", ", unknown)}");
        Assert.True(problems.Count == 0, "spec/models.md and the models disagree:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void EveryClaimedMutantIsRunBySpecCheck()
    {
        HashSet<string> mutated = SpecCheckViolations().Matches(File.ReadAllText(Path.Combine(s_spec, "check")))
            .Select(match => match.Groups["id"].Value).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (Row row in Rows())
        {
            bool none = row.MutantCell.StartsWith("none: ", StringComparison.Ordinal);
            IEnumerable<string> ids = InvariantTraceabilityTests.SpecifiedIds().Keys.Where(row.Covers);
            foreach (string id in ids)
            {
                if (!none && !mutated.Contains(id))
                {
                    problems.Add($"{id}: the table claims a mutant ({row.MutantCell}), but spec/check runs no `violates {id}`");
                }
                else if (none && mutated.Contains(id))
                {
                    problems.Add($"{id}: spec/check runs a `violates {id}` mutant, but the table says {row.MutantCell}");
                }
            }
        }

        Assert.True(problems.Count == 0, "spec/models.md and spec/check disagree:\n" + string.Join("\n", problems));
    }

    private static IEnumerable<Row> RowsFor(IReadOnlyList<Row> rows, string id)
    {
        // An id's own row wins over its family's.
        Row[] exact = rows.Where(row => row.Invariant == id).ToArray();
        return exact.Length > 0 ? exact : rows.Where(row => row.Covers(id));
    }

    /// <summary>The rows of the spec/models.md table whose header starts with "| invariant | model assertion |".</summary>
    private static IReadOnlyList<Row> Rows()
    {
        var rows = new List<Row>();
        bool inTable = false;
        foreach (string line in File.ReadLines(Path.Combine(s_spec, "models.md")))
        {
            string[] cells = line.Trim().Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 5 || cells[0].Length != 0)
            {
                inTable = false;
                continue;
            }

            if (cells[1] == "invariant" && cells[2] == "model assertion")
            {
                inTable = true;
            }
            else if (inTable && !cells[1].StartsWith("---", StringComparison.Ordinal))
            {
                rows.Add(new Row(cells[1], cells[2], cells[3],
                    ModelFile().Matches(cells[2]).Select(match => match.Groups["file"].Value).ToHashSet(StringComparer.Ordinal)));
            }
        }

        Assert.NotEmpty(rows);
        return rows;
    }

    /// <summary>Id to the .pml files that assert it.</summary>
    private static IReadOnlyDictionary<string, HashSet<string>> AssertedIds()
    {
        var asserted = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(Path.Combine(s_spec, "promela"), "*.pml"))
        {
            foreach (Match match in InvAssertion().Matches(File.ReadAllText(path)))
            {
                string id = match.Groups["id"].Value;
                (asserted.TryGetValue(id, out HashSet<string>? files) ? files : asserted[id] = new HashSet<string>(StringComparer.Ordinal)).Add(Path.GetFileName(path));
            }
        }

        Assert.NotEmpty(asserted);
        return asserted;
    }

    private sealed record Row(string Invariant, string ModelCell, string MutantCell, IReadOnlySet<string> Models)
    {
        public bool Covers(string id) => Invariant.EndsWith("-*", StringComparison.Ordinal)
            ? id.StartsWith(Invariant[..^1], StringComparison.Ordinal)
            : id == Invariant;
    }

    [GeneratedRegex(@"\bINV\((?<id>[A-Z]+(-[A-Z0-9]+)+)\s*,")]
    private static partial Regex InvAssertion();

    [GeneratedRegex(@"`(?<file>[a-z0-9_-]+\.pml)`")]
    private static partial Regex ModelFile();

    [GeneratedRegex(@"\bviolates (?<id>[A-Z]+(-[A-Z0-9]+)+)\b")]
    private static partial Regex SpecCheckViolations();
}
