using System.Globalization;
using System.Text;
using Veralloc.Systematic.Strategies;

namespace Veralloc.Systematic;

/// <summary>One recorded choice: the logical thread that ran at a scheduling point, or a controlled random value.</summary>
/// <param name="IsValue">True for a random value (<see cref="SystematicContext.Random(int)"/>), false for a thread id.</param>
/// <param name="Value">The thread id, or the random value.</param>
public readonly record struct ScheduleChoice(bool IsValue, int Value)
{
    /// <summary>The thread <paramref name="id"/> ran.</summary>
    /// <param name="id">The thread id.</param>
    /// <returns>The choice.</returns>
    public static ScheduleChoice Thread(int id) => new(false, id);

    /// <summary>A random draw returned <paramref name="value"/>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The choice.</returns>
    public static ScheduleChoice RandomValue(int value) => new(true, value);

    /// <inheritdoc />
    public override string ToString() => IsValue ? "?" + Value.ToString(CultureInfo.InvariantCulture) : Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The step bounds a trace was recorded under; replay uses them unless told otherwise.</summary>
/// <param name="MaxSteps">The step bound (<see cref="TestOptions.MaxSteps"/>).</param>
/// <param name="FairAfterSteps">Where the fair phase began (<see cref="TestOptions.FairAfterSteps"/>), or null when it was off.</param>
public sealed record TraceSettings(int MaxSteps, int? FairAfterSteps);

/// <summary>
/// The choices of one iteration: at every scheduling point where more than one logical thread was enabled, the id of the
/// thread that ran, and every controlled random value drawn. Replaying the choices reproduces the interleaving exactly;
/// version 2 traces also carry every scheduling point (enabled threads and their pending steps), so a replay that takes
/// different steps is reported as <see cref="BugKind.Nondeterminism"/> instead of "reproducing" a different run.
/// </summary>
/// <remarks>
/// The text form is versioned (docs/design-notes/0022-trace-format.md): a <c>veralloc-trace 2</c> header line, <c>key
/// value</c> lines, a <c>schedule</c> line of choices (a thread id, or <c>?v</c> for the random value <c>v</c>; <c>x*n</c>
/// stands for <c>n</c> repetitions), and optionally a <c>points N</c> line followed by one line per scheduling point.
/// Lines starting with <c>#</c> are comments. Version 1 traces (threads only, no points) are still read.
/// </remarks>
public sealed class ScheduleTrace
{
    /// <summary>The trace format version this library writes.</summary>
    public const int FormatVersion = 2;

    /// <summary>The most choices or points a trace may hold; more is rejected as malformed rather than expanded.</summary>
    public const int MaxLength = 10_000_000;

    private const string Magic = "veralloc-trace";

    private readonly int[] _encoded;

    /// <summary>Creates a trace of thread decisions only.</summary>
    /// <param name="decisions">The chosen thread id at every non-forced scheduling point, in order.</param>
    /// <param name="strategy">The strategy that produced it.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="iteration">The zero-based iteration that produced it.</param>
    /// <param name="scenario">The scenario name, or null.</param>
    /// <param name="bug">The bug the iteration ended with, or null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A decision is negative, or the iteration is negative.</exception>
    public ScheduleTrace(IEnumerable<int> decisions, StrategyKind strategy, int seed, int iteration, string? scenario, BugKind? bug)
        : this((decisions ?? throw new ArgumentNullException(nameof(decisions))).Select(ScheduleChoice.Thread), strategy, seed, iteration, scenario, bug)
    {
    }

    /// <summary>Creates a trace of thread decisions and random values.</summary>
    /// <param name="choices">Every choice, in order.</param>
    /// <param name="strategy">The strategy that produced it.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="iteration">The zero-based iteration that produced it.</param>
    /// <param name="scenario">The scenario name, or null.</param>
    /// <param name="bug">The bug the iteration ended with, or null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A thread id or value is negative, or the iteration is negative.</exception>
    public ScheduleTrace(IEnumerable<ScheduleChoice> choices, StrategyKind strategy, int seed, int iteration, string? scenario, BugKind? bug)
        : this(Encode(choices), strategy, seed, iteration, scenario, bug, null, null)
    {
    }

    private ScheduleTrace(int[] encoded, StrategyKind strategy, int seed, int iteration, string? scenario, BugKind? bug, PointLog? points, TraceSettings? settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        if (scenario is not null && (scenario.Contains('\n', StringComparison.Ordinal) || scenario.Contains('\r', StringComparison.Ordinal)))
        {
            throw new ArgumentException($"Scenario name '{scenario}' must be a single line.", nameof(scenario));
        }

        _encoded = encoded;
        Strategy = strategy;
        Seed = seed;
        Iteration = iteration;
        Scenario = scenario;
        Bug = bug;
        Points = points;
        Settings = settings;
        Decisions = encoded.Where(choice => !ChoiceEncoding.IsValue(choice)).ToArray();
        Choices = encoded.Select(choice => ChoiceEncoding.IsValue(choice) ? ScheduleChoice.RandomValue(ChoiceEncoding.DecodeValue(choice)) : ScheduleChoice.Thread(choice)).ToArray();
    }

    /// <summary>The chosen thread id at every non-forced scheduling point (random values are in <see cref="Choices"/>).</summary>
    public IReadOnlyList<int> Decisions { get; }

    /// <summary>Every choice in order: thread ids and random values.</summary>
    public IReadOnlyList<ScheduleChoice> Choices { get; }

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

    /// <summary>The step bounds the trace was recorded under, or null (version 1 traces).</summary>
    public TraceSettings? Settings { get; }

    /// <summary>The number of scheduling points recorded, or null when the trace carries none.</summary>
    public int? PointCount => Points?.Count;

    internal IReadOnlyList<int> EncodedChoices => _encoded;

    internal PointLog? Points { get; }

    /// <summary>Formats the trace in its versioned text form, with its scheduling points.</summary>
    /// <returns>The text, ending with a newline.</returns>
    public string ToText() => ToText(includePoints: true);

    /// <summary>Formats the trace; without points it is shorter but a replay can no longer check the steps it takes.</summary>
    /// <param name="includePoints">Whether to write the scheduling points.</param>
    /// <returns>The text, ending with a newline.</returns>
    public string ToText(bool includePoints)
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

        if (Settings is { } settings)
        {
            text.Append("max-steps ").Append(settings.MaxSteps.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append("fair-after ").Append(settings.FairAfterSteps is { } fair ? fair.ToString(CultureInfo.InvariantCulture) : "off").Append('\n');
        }

        text.Append("decisions ").Append(_encoded.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("schedule");
        for (var i = 0; i < _encoded.Length;)
        {
            var run = 1;
            while (i + run < _encoded.Length && _encoded[i + run] == _encoded[i])
            {
                run++;
            }

            text.Append(' ').Append(Choices[i].ToString());
            if (run > 1)
            {
                text.Append('*').Append(run.ToString(CultureInfo.InvariantCulture));
            }

            i += run;
        }

        text.Append('\n');
        if (includePoints && Points is not null)
        {
            text.Append("points ").Append(Points.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            Points.AppendText(text);
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToText();

    /// <summary>Parses the text form written by <see cref="ToText()"/> (version 1 or 2).</summary>
    /// <param name="text">The trace text.</param>
    /// <returns>The trace.</returns>
    /// <exception cref="FormatException">
    /// The text is not a trace, has an unsupported version, or is malformed; the message begins <c>line N:</c>.
    /// </exception>
    public static ScheduleTrace Parse(string text) => Parse(text, sourceName: null);

    /// <summary>
    /// Parses the text form written by <see cref="ToText()"/> (version 1 or 2), naming <paramref name="sourceName"/> in
    /// errors. Every count is checked before anything is sized from it: the run-length tokens of the schedule are summed
    /// and held to the declared <c>decisions</c>, the recorded points (every decision is made at one) and
    /// <see cref="MaxLength"/> before the schedule is expanded.
    /// </summary>
    /// <param name="text">The trace text.</param>
    /// <param name="sourceName">The file the text came from, or null.</param>
    /// <returns>The trace.</returns>
    /// <exception cref="FormatException">
    /// The text is not a trace, has an unsupported version, or is malformed; the message is
    /// <c>source:line: problem</c> (<c>line N: problem</c> without a source), quoting the offending text as it is.
    /// </exception>
    public static ScheduleTrace Parse(string text, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        FormatException Fail(int lineNumber, string problem, Exception? inner = null) =>
            new($"{(sourceName is null ? "line " : sourceName + ":")}{lineNumber.ToString(CultureInfo.InvariantCulture)}: {problem}", inner);

        // Some editors start UTF-8 files with a byte-order mark; it is not part of the header.
        var rawLines = text.TrimStart('\uFEFF').Split('\n');
        var version = 0;
        var lastLine = 1;
        StrategyKind? strategy = null;
        var seed = 0;
        var iteration = 0;
        string? scenario = null;
        BugKind? bug = null;
        (int Count, int Line)? declared = null;
        int? maxSteps = null;
        int? fairAfter = null;
        var fairSeen = false;
        (string Tokens, int Line)? schedule = null;
        PointLog? points = null;
        (int Count, int Line)? declaredPoints = null;
        for (var index = 0; index < rawLines.Length; index++)
        {
            var line = rawLines[index].TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var lineNumber = lastLine = index + 1;
            try
            {
                if (version == 0)
                {
                    version = ParseHeader(line);
                    continue;
                }

                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var key = space < 0 ? line : line[..space];
                var value = space < 0 ? string.Empty : line[(space + 1)..].Trim();
                if (points is not null && key is "p" or "v")
                {
                    if (points.Count >= declaredPoints!.Value.Count)
                    {
                        throw new FormatException($"the trace declares {declaredPoints.Value.Count} points but holds more ('{line}')");
                    }

                    points.ParseLine(line);
                    continue;
                }

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
                        if (iteration < 0)
                        {
                            throw new FormatException($"iteration {iteration} is negative");
                        }

                        break;
                    case "scenario":
                        // A carriage return inside the line survives the split on '\n'; the constructor would refuse
                        // the name with an ArgumentException, which Parse must report as malformed text instead.
                        scenario = value.Contains('\r', StringComparison.Ordinal)
                            ? throw new FormatException($"scenario name '{value}' must be a single line (it holds a carriage return)")
                            : value;
                        break;
                    case "bug":
                        bug = Enum.TryParse<BugKind>(value, ignoreCase: false, out var kind) && Enum.IsDefined(kind) && !value.Any(char.IsDigit)
                            ? kind
                            : throw new FormatException($"unknown bug kind '{value}'");
                        break;
                    case "decisions":
                        declared = (ParseCount(value, key), lineNumber);
                        break;
                    case "schedule":
                        schedule = schedule is null ? (value, lineNumber) : throw new FormatException($"a second 'schedule' line (the first is line {schedule.Value.Line})");
                        break;
                    case "max-steps" when version >= 2:
                        maxSteps = ParseInt(value, key);
                        if (maxSteps < 1)
                        {
                            throw new FormatException($"max-steps {maxSteps} must be positive");
                        }

                        break;
                    case "fair-after" when version >= 2:
                        fairAfter = value == "off" ? null : ParseInt(value, key);
                        fairSeen = true;
                        if (fairAfter < 0)
                        {
                            throw new FormatException($"fair-after {fairAfter} must be 'off' or non-negative");
                        }

                        break;
                    case "points" when version >= 2:
                        declaredPoints = points is null ? (ParseCount(value, key), lineNumber) : throw new FormatException($"a second 'points' line (the first is line {declaredPoints!.Value.Line})");
                        points = new PointLog();
                        break;
                    default:
                        throw new FormatException($"unknown trace line '{line}'");
                }
            }
            catch (FormatException e)
            {
                throw Fail(lineNumber, e.Message.TrimEnd('.'), e);
            }
        }

        if (version == 0)
        {
            throw Fail(lastLine, $"empty trace: expected a '{Magic} {FormatVersion}' header");
        }

        if (strategy is null)
        {
            throw Fail(lastLine, "the trace has no 'strategy' line");
        }

        if (schedule is not { } scheduleLine)
        {
            throw Fail(lastLine, "the trace has no 'schedule' line");
        }

        if (points is not null && points.Count != declaredPoints!.Value.Count)
        {
            throw Fail(declaredPoints.Value.Line, $"the trace declares {declaredPoints.Value.Count} points but holds {points.Count}");
        }

        int[] choices;
        try
        {
            choices = ParseSchedule(scheduleLine.Tokens, version, declared?.Count, points?.Count);
        }
        catch (FormatException e)
        {
            throw Fail(scheduleLine.Line, e.Message, e);
        }

        if (declared is { } count && count.Count != choices.Length)
        {
            throw Fail(count.Line, $"the trace declares {count.Count} decisions but its schedule (line {scheduleLine.Line}) holds {choices.Length}");
        }

        TraceSettings? settings = maxSteps is { } steps ? new TraceSettings(steps, fairSeen ? fairAfter : null) : null;
        return new ScheduleTrace(choices, strategy.Value, seed, iteration, scenario, bug, points, settings);
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
    /// <exception cref="FormatException">The file is not a valid trace; the message is <c>file:line: problem</c>.</exception>
    public static ScheduleTrace Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(File.ReadAllText(path), Path.GetFileName(path));
    }

    internal static ScheduleTrace FromExecution(IReadOnlyList<int> encoded, StrategyKind strategy, int seed, int iteration, string? scenario, BugKind? bug, PointLog points, TraceSettings settings)
    {
        var copy = new PointLog();
        copy.CopyFrom(points);
        return new ScheduleTrace(encoded.ToArray(), strategy, seed, iteration, scenario, bug, copy, settings);
    }

    private static int[] Encode(IEnumerable<ScheduleChoice> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        var encoded = new List<int>();
        foreach (var choice in choices)
        {
            if (choice.Value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(choices), choice.Value, "A decision is a thread id or a random value and cannot be negative.");
            }

            encoded.Add(choice.IsValue ? ChoiceEncoding.Value(choice.Value) : choice.Value);
        }

        return encoded.ToArray();
    }

    private static int ParseHeader(string line)
    {
        var header = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (header.Length != 2 || header[0] != Magic)
        {
            throw new FormatException($"not a trace: the first line is '{line}', expected '{Magic} {FormatVersion}'");
        }

        var version = ParseInt(header[1], "version");
        return version is 1 or FormatVersion
            ? version
            : throw new FormatException($"unsupported trace version {header[1]}: this engine reads versions 1 and {FormatVersion}");
    }

    /// <summary>
    /// Expands the schedule's tokens (<c>x</c>, <c>?v</c>, <c>x*n</c>) after checking every token and summing the repeat
    /// counts, so a short line cannot ask for more than the trace can hold: <see cref="MaxLength"/>, the declared count,
    /// and the recorded points (every decision is made at a scheduling point).
    /// </summary>
    private static int[] ParseSchedule(string value, int version, int? declared, int? pointCount)
    {
        var tokens = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var runs = new (int Encoded, int Repeat)[tokens.Length];
        long total = 0;
        for (var t = 0; t < tokens.Length; t++)
        {
            var token = tokens[t];
            var star = token.IndexOf('*', StringComparison.Ordinal);
            var head = star < 0 ? token : token[..star];
            var isValue = version >= 2 && head.StartsWith('?');
            var number = ParseInt(isValue ? head[1..] : head, isValue ? "random value" : "thread id");
            var repeat = star < 0 ? 1 : ParseInt(token[(star + 1)..], "repeat count");
            if (number < 0 || repeat < 1)
            {
                throw new FormatException($"bad schedule token '{token}': ids and values are non-negative and repeat counts positive");
            }

            total += repeat;
            if (total > MaxLength)
            {
                throw new FormatException($"bad schedule token '{token}': the schedule would hold more than {MaxLength} decisions");
            }

            if (total > declared)
            {
                throw new FormatException($"bad schedule token '{token}': the schedule would hold more than the {declared} decisions the trace declares");
            }

            if (total > pointCount)
            {
                throw new FormatException($"bad schedule token '{token}': the schedule would hold more decisions than the {pointCount} scheduling points the trace records (every decision is made at one)");
            }

            runs[t] = (isValue ? ChoiceEncoding.Value(number) : number, repeat);
        }

        var choices = new int[total];
        var next = 0;
        foreach (var (encoded, repeat) in runs)
        {
            choices.AsSpan(next, repeat).Fill(encoded);
            next += repeat;
        }

        return choices;
    }

    private static int ParseCount(string value, string what)
    {
        var count = ParseInt(value, what);
        return count is >= 0 and <= MaxLength
            ? count
            : throw new FormatException($"bad {what} count {count}: expected 0 to {MaxLength}");
    }

    private static int ParseInt(string value, string what) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new FormatException($"bad {what} '{value}': expected an integer");
}
