using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Veralloc.CoyoteLane.Slots;

namespace Veralloc.Bench.Engines;

/// <summary>The settings of one side-by-side run.</summary>
/// <param name="Iterations">Iterations per correct scenario and strategy (seed 1).</param>
/// <param name="Seeds">Seeds 1..Seeds per mutant and strategy.</param>
/// <param name="Budget">The most iterations a mutant run may take to find its bug.</param>
/// <param name="Engines">The engines to run ("veralloc", "coyote").</param>
internal sealed record SideBySideOptions(int Iterations, int Seeds, int Budget, IReadOnlySet<string> Engines);

/// <summary>
/// Runs both engines on the same scenarios and mutants and renders the comparison as Markdown: per scenario,
/// schedules per second and distinct schedules; per mutant, schedules to the first bug (median and max over the seeds).
/// </summary>
internal static class SideBySide
{
    public static (string Markdown, bool CorrectScenarioFailed) Run(SideBySideOptions options, TextWriter progress)
    {
        IReadOnlyList<Contestant> scenarioContestants = [.. Contestants.Ours(), .. Contestants.Coyote()];
        IReadOnlyList<Contestant> mutantContestants = [.. scenarioContestants, .. Contestants.CoyoteLockModelOnly()];
        scenarioContestants = [.. scenarioContestants.Where(c => options.Engines.Contains(c.Engine))];
        mutantContestants = [.. mutantContestants.Where(c => options.Engines.Contains(c.Engine))];
        string[] scenarios = CoyoteSlotScenarios.Correct.Select(s => s.Name).ToArray();
        string[] mutants = CoyoteSlotScenarios.Mutants.Select(s => s.Name).ToArray();

        var text = new StringBuilder();
        text.AppendLine(Header(options));
        bool failed = false;

        // Untimed warm-up, half a second per contestant: JIT tiering, the engine's worker pool and Coyote's first
        // runtime are paid for here, not by whichever scenario happens to be measured first.
        foreach (Contestant contestant in scenarioContestants)
        {
            var warmUp = System.Diagnostics.Stopwatch.StartNew();
            for (int round = 0; warmUp.Elapsed < TimeSpan.FromMilliseconds(500) && round < 100; round++)
            {
                contestant.Run(scenarios[round % scenarios.Length], Math.Min(100, options.Iterations), round + 1);
            }
        }

        var perScenario = new Dictionary<(string Contestant, string Scenario), Outcome>();
        foreach (string scenario in scenarios)
        {
            foreach (Contestant contestant in scenarioContestants)
            {
                Outcome outcome = Measure(contestant, scenario, options.Iterations);
                progress.WriteLine($"{scenario} / {contestant.Label}: {outcome.Iterations} in {outcome.Elapsed.TotalSeconds:F2} s{(outcome.BugFound ? ", BUG" : string.Empty)}");
                failed |= outcome.BugFound;
                perScenario[(contestant.Label, scenario)] = outcome;
            }
        }

        text.AppendLine($"### Schedules (iterations) per second: runs of {options.Iterations:N0}, seed 1, repeated to at least 0.5 s").AppendLine();
        text.AppendLine(Grid(scenarios, scenarioContestants, (c, s) => Rate(perScenario[(c.Label, s)])));
        text.AppendLine($"### Distinct schedules among those {options.Iterations:N0} (\"all\": DFS exhausted the space first)").AppendLine();
        text.AppendLine(Grid(scenarios, scenarioContestants, (c, s) => Distinct(perScenario[(c.Label, s)])));

        var perMutant = new Dictionary<(string Contestant, string Mutant), List<int?>>();
        foreach (string mutant in mutants)
        {
            foreach (Contestant contestant in mutantContestants)
            {
                var found = new List<int?>();
                foreach (int seed in Enumerable.Range(1, contestant.Deterministic ? 1 : options.Seeds))
                {
                    Outcome outcome = contestant.Run(mutant, options.Budget, seed);
                    found.Add(outcome.BugFound ? outcome.Iterations : null);
                }

                progress.WriteLine($"{mutant} / {contestant.Label}: {Cell(found)}");
                perMutant[(contestant.Label, mutant)] = found;
            }
        }

        text.AppendLine($"### Schedules to the first bug: median / max over seeds 1–{options.Seeds} (DFS: one run), budget {options.Budget:N0}").AppendLine();
        text.AppendLine(Grid(mutants, mutantContestants, (c, m) => Cell(perMutant[(c.Label, m)])));
        text.AppendLine("### Disagreements (a contestant that finds a mutant with no seed, where another finds it)").AppendLine();
        foreach (string mutant in mutants)
        {
            string[] missed = mutantContestants.Where(c => perMutant[(c.Label, mutant)].All(n => n is null)).Select(c => c.Label).ToArray();
            text.AppendLine(missed.Length == 0 ? $"- {mutant}: found by every contestant" : $"- {mutant}: missed by {string.Join("; ", missed)}");
        }

        return (text.ToString(), failed);
    }

    /// <summary>
    /// One run for the distinct-schedule count; for the rate, the same run repeated until half a second has been
    /// measured, so that a run of a few milliseconds (a small DFS space) is not timed alone.
    /// </summary>
    private static Outcome Measure(Contestant contestant, string scenario, int iterations)
    {
        Outcome first = contestant.Run(scenario, iterations, 1);
        int total = first.Iterations;
        TimeSpan elapsed = first.Elapsed;
        bool bug = first.BugFound;
        while (elapsed < TimeSpan.FromMilliseconds(500) && !bug)
        {
            Outcome again = contestant.Run(scenario, iterations, 1);
            total += again.Iterations;
            elapsed += again.Elapsed;
            bug |= again.BugFound;
        }

        return first with { Iterations = total, Elapsed = elapsed, BugFound = bug };
    }

    private static string Header(SideBySideOptions options)
    {
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
        return string.Create(CultureInfo.InvariantCulture,
            $"## Our engine and Coyote, side by side\n\n{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture}; load average {load} at the start.\n" +
            $"Correct scenarios: {options.Iterations:N0} iterations per strategy. Mutants: seeds 1–{options.Seeds}, budget {options.Budget:N0}. Coyote on the lane's settings unless the row says otherwise.\n");
    }

    private static string Grid(string[] columns, IReadOnlyList<Contestant> rows, Func<Contestant, string, string> cell)
    {
        var text = new StringBuilder();
        text.Append("| engine, strategy | ").AppendJoin(" | ", columns.Select(c => c[(c.IndexOf('/', StringComparison.Ordinal) + 1)..])).AppendLine(" |");
        text.Append("|---|").AppendJoin(string.Empty, columns.Select(_ => "---:|")).AppendLine();
        foreach (Contestant row in rows)
        {
            text.Append("| ").Append(row.Label).Append(" | ").AppendJoin(" | ", columns.Select(column => cell(row, column))).AppendLine(" |");
        }

        return text.ToString();
    }

    private static string Rate(Outcome outcome) =>
        string.Create(CultureInfo.InvariantCulture, $"{outcome.PerSecond:N0}{(outcome.BugFound ? " BUG" : string.Empty)}");

    private static string Distinct(Outcome outcome) =>
        string.Create(CultureInfo.InvariantCulture, $"{outcome.DistinctSchedules:N0}{(outcome.Exhausted ? " (all)" : string.Empty)}");

    /// <summary>"median / max", with a miss counted as more than the budget; "miss" when no seed found it.</summary>
    internal static string Cell(IReadOnlyList<int?> found)
    {
        int hits = found.Count(n => n is not null);
        if (hits == 0)
        {
            return found.Count == 1 ? "miss" : $"miss (0/{found.Count})";
        }

        long[] sorted = found.Select(n => n is { } value ? value : long.MaxValue).Order().ToArray();
        string Show(long value) => value == long.MaxValue ? "miss" : value.ToString("N0", CultureInfo.InvariantCulture);
        long median = sorted[(sorted.Length - 1) / 2];
        string suffix = hits == found.Count ? string.Empty : $" ({hits}/{found.Count})";
        return $"{Show(median)} / {Show(sorted[^1])}{suffix}";
    }
}
