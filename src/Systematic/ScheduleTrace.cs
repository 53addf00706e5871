using System.Globalization;
using System.Text;

namespace Veralloc.Systematic;

/// <summary>
/// The scheduling decisions of one iteration: at every scheduling point where more than one logical thread
/// was enabled, the id of the thread that ran. Replaying the decisions reproduces the interleaving exactly.
/// </summary>
/// <remarks>
/// The text form is versioned (docs/design-notes/0022-trace-format.md): a <c>veralloc-trace 1</c> header line,
/// <c>key value</c> lines, and a <c>schedule</c> line of thread ids where <c>id*n</c> stands for <c>n</c>
/// repetitions. Lines starting with <c>#</c> are comments. Points with a single enabled thread are not recorded:
/// they are forced, so replay recomputes them.
/// </remarks>
public sealed class ScheduleTrace
{
    /// <summary>The trace format version this library writes and reads.</summary>
    public const int FormatVersion = 1;

    private const string Magic = "veralloc-trace";

    private readonly int[] _decisions;

    /// <summary>Creates a trace.</summary>
    /// <param name="decisions">The chosen thread id at every non-forced scheduling point, in order.</param>
    /// <param name="strategy">The strategy that produced it.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="iteration">The zero-based iteration that produced it.</param>
    /// <param name="scenario">The scenario name, or null.</param>
    /// <param name="bug">The bug the iteration ended with, or null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A decision is negative, or the iteration is negative.</exception>
    public ScheduleTrace(IEnumerable<int> decisions, StrategyKind strategy, int seed, int iteration, string? scenario, BugKind? bug)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        _decisions = decisions.ToArray();
        foreach (var decision in _decisions)
        {
            if (decision < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(decisions), decision, "A decision is a thread id and cannot be negative.");
            }
        }

        if (scenario is not null && (scenario.Contains('\n', StringComparison.Ordinal) || scenario.Contains('\r', StringComparison.Ordinal)))
        {
            throw new ArgumentException($"Scenario name '{scenario}' must be a single line.", nameof(scenario));
        }

        Strategy = strategy;
        Seed = seed;
        Iteration = iteration;
        Scenario = scenario;
        Bug = bug;
    }

    /// <summary>The chosen thread id at every non-forced scheduling point.</summary>
    public IReadOnlyList<int> Decisions => _decisions;

    /// <summary>The strategy that produced the trace.</summary>
    public StrategyKind Strategy { get; }

    /// <summary>The seed of the run that produced the trace.</summary>
    public int Seed { get; }

    /// <summary>The zero-based iteration that produced the trace.</summary>
    public int Iteration { get; }

    /// <summary>The scenario name, or null.</summary>
    public string? Scenario { get; }

    /// <summary>The kind of bug the traced iteration ended with, or null.</summary>
    public BugKind? Bug { get; }

    /// <summary>Formats the trace in its versioned text form.</summary>
    /// <returns>The text, ending with a newline.</returns>
    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(Magic).Append(' ').Append(FormatVersion.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("strategy ").Append(StrategyNames.ToName(Strategy)).Append('\n');
        text.Append("seed ").Append(Seed.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("iteration ").Append(Iteration.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (Scenario is not null)
        {
            text.Append("scenario ").Append(Scenario).Append('\n');
        }

        if (Bug is { } bug)
        {
            text.Append("bug ").Append(bug.ToString()).Append('\n');
        }

        text.Append("decisions ").Append(_decisions.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("schedule");
        for (var i = 0; i < _decisions.Length;)
        {
            var run = 1;
            while (i + run < _decisions.Length && _decisions[i + run] == _decisions[i])
            {
                run++;
            }

            text.Append(' ').Append(_decisions[i].ToString(CultureInfo.InvariantCulture));
            if (run > 1)
            {
                text.Append('*').Append(run.ToString(CultureInfo.InvariantCulture));
            }

            i += run;
        }

        text.Append('\n');
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToText();

    /// <summary>Parses the text form written by <see cref="ToText"/>.</summary>
    /// <param name="text">The trace text.</param>
    /// <returns>The trace.</returns>
    /// <exception cref="FormatException">The text is not a trace, has an unsupported version, or is malformed.</exception>
    public static ScheduleTrace Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n').Select(line => line.TrimEnd('\r').Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')).ToList();
        if (lines.Count == 0)
        {
            throw new FormatException("Empty trace: expected a 'veralloc-trace 1' header.");
        }

        var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (header.Length != 2 || header[0] != Magic)
        {
            throw new FormatException($"Not a trace: first line is '{lines[0]}', expected '{Magic} {FormatVersion}'.");
        }

        if (ParseInt(header[1], "version") != FormatVersion)
        {
            throw new FormatException($"Unsupported trace version {header[1]}: this engine reads version {FormatVersion}.");
        }

        StrategyKind? strategy = null;
        var seed = 0;
        var iteration = 0;
        string? scenario = null;
        BugKind? bug = null;
        int? declared = null;
        List<int>? decisions = null;
        foreach (var line in lines.Skip(1))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var key = space < 0 ? line : line[..space];
            var value = space < 0 ? string.Empty : line[(space + 1)..].Trim();
            switch (key)
            {
                case "strategy":
                    try
                    {
                        strategy = StrategyNames.Parse(value);
                    }
                    catch (ArgumentException e)
                    {
                        throw new FormatException(e.Message, e);
                    }

                    break;
                case "seed":
                    seed = ParseInt(value, key);
                    break;
                case "iteration":
                    iteration = ParseInt(value, key);
                    break;
                case "scenario":
                    scenario = value;
                    break;
                case "bug":
                    bug = Enum.TryParse<BugKind>(value, ignoreCase: false, out var kind) && Enum.IsDefined(kind)
                        ? kind
                        : throw new FormatException($"Unknown bug kind '{value}'.");
                    break;
                case "decisions":
                    declared = ParseInt(value, key);
                    break;
                case "schedule":
                    decisions = ParseSchedule(value);
                    break;
                default:
                    throw new FormatException($"Unknown trace line '{line}'.");
            }
        }

        if (strategy is null)
        {
            throw new FormatException("The trace has no 'strategy' line.");
        }

        if (decisions is null)
        {
            throw new FormatException("The trace has no 'schedule' line.");
        }

        if (declared is { } count && count != decisions.Count)
        {
            throw new FormatException($"The trace declares {count} decisions but its schedule holds {decisions.Count}.");
        }

        if (iteration < 0)
        {
            throw new FormatException($"Iteration {iteration} is negative.");
        }

        return new ScheduleTrace(decisions, strategy.Value, seed, iteration, scenario, bug);
    }

    /// <summary>Writes the text form to <paramref name="path"/>, creating its directory.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, ToText());
    }

    /// <summary>Reads a trace written by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The trace.</returns>
    /// <exception cref="FormatException">The file is not a valid trace.</exception>
    public static ScheduleTrace Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(File.ReadAllText(path));
    }

    private static List<int> ParseSchedule(string value)
    {
        var decisions = new List<int>();
        foreach (var token in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var star = token.IndexOf('*', StringComparison.Ordinal);
            var id = ParseInt(star < 0 ? token : token[..star], "thread id");
            var repeat = star < 0 ? 1 : ParseInt(token[(star + 1)..], "repeat count");
            if (id < 0 || repeat < 1)
            {
                throw new FormatException($"Bad schedule token '{token}': ids are non-negative and repeat counts positive.");
            }

            for (var i = 0; i < repeat; i++)
            {
                decisions.Add(id);
            }
        }

        return decisions;
    }

    private static int ParseInt(string value, string what) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new FormatException($"Bad {what} '{value}': expected an integer.");
}
