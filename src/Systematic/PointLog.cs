using System.Globalization;
using System.Text;

namespace Veralloc.Systematic;

/// <summary>
/// Every scheduling point of one iteration, forced ones included: which threads were enabled and what each was about to
/// do (kind and target), the thread chosen, or for a controlled random value its range and the value chosen.
/// </summary>
/// <remarks>
/// Two runs of a deterministic program under the same choices produce the same log. DFS compares each iteration's
/// replayed prefix with the log of the iteration before it, replay compares with the log stored in a trace, and
/// <see cref="TestOptions.CheckDeterminism"/> compares a rerun with the first run: the first point that differs is
/// reported as <see cref="BugKind.Nondeterminism"/>. The buffers are reused across iterations.
/// </remarks>
internal sealed class PointLog
{
    private readonly List<Point> _points = [];
    private readonly List<PointEntry> _entries = [];
    private readonly List<string> _threadNames = [];
    private int _openStart = -1;

    public int Count => _points.Count;

    /// <summary>The thread names of the iteration that wrote the log (by id), for reports; empty for a log read from a trace.</summary>
    public IReadOnlyList<string> ThreadNames => _threadNames;

    public void Clear()
    {
        _points.Clear();
        _entries.Clear();
        _threadNames.Clear();
        _openStart = -1;
    }

    public void BeginThreadPoint() => _openStart = _entries.Count;

    public void AddEntry(int threadId, PendingKind kind, string? target) => _entries.Add(new PointEntry(threadId, kind, target));

    /// <summary>Closes the point opened by <see cref="BeginThreadPoint"/>; <paramref name="chosen"/> is -1 when no thread runs.</summary>
    public void EndThreadPoint(int chosen)
    {
        _points.Add(new Point(_openStart, _entries.Count - _openStart, chosen, 0));
        _openStart = -1;
    }

    /// <summary>Sets the chosen thread of the last point (it is decided after the point is compared).</summary>
    public void SetLastChoice(int chosen) => _points[^1] = _points[^1] with { Chosen = chosen };

    public void AddValuePoint(int range, int chosen) => _points.Add(new Point(_entries.Count, 0, chosen, range));

    public void CopyFrom(PointLog other)
    {
        Clear();
        _points.AddRange(other._points);
        _entries.AddRange(other._entries);
        _threadNames.AddRange(other._threadNames);
    }

    public void SetThreadNames(IEnumerable<string> names)
    {
        _threadNames.Clear();
        _threadNames.AddRange(names);
    }

    /// <summary>True when point <paramref name="index"/> of this log and of <paramref name="other"/> offer the same options.</summary>
    public bool SameOptions(int index, PointLog other)
    {
        if (index >= _points.Count || index >= other._points.Count)
        {
            return false;
        }

        var mine = _points[index];
        var theirs = other._points[index];
        if (mine.ValueRange != theirs.ValueRange || mine.EntryCount != theirs.EntryCount)
        {
            return false;
        }

        for (var i = 0; i < mine.EntryCount; i++)
        {
            if (_entries[mine.EntryStart + i] != other._entries[theirs.EntryStart + i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One point in words, for example <c>[t0 'w0' acquire pool, t1 'w1' start] -> t0</c>.</summary>
    public string Describe(int index)
    {
        if (index >= _points.Count)
        {
            return "(none: the run had ended)";
        }

        var point = _points[index];
        if (point.ValueRange > 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"a random value in [0, {point.ValueRange}){(point.Chosen >= 0 ? $" -> {point.Chosen}" : string.Empty)}");
        }

        var text = new StringBuilder("[");
        for (var i = 0; i < point.EntryCount; i++)
        {
            var entry = _entries[point.EntryStart + i];
            if (i > 0)
            {
                text.Append(", ");
            }

            text.Append(ThreadLabel(entry.ThreadId)).Append(' ').Append(KindName(entry.Kind));
            if (entry.Target is not null)
            {
                text.Append(' ').Append(entry.Target);
            }
        }

        text.Append(']');
        if (point.Chosen >= 0)
        {
            text.Append(" -> ").Append(ThreadLabel(point.Chosen));
        }
        else if (point.EntryCount == 0)
        {
            text.Append(" (no thread enabled)");
        }

        return text.ToString();
    }

    /// <summary>Writes point lines for a trace: <c>p CHOSEN ID:KIND[:TARGET] ...</c> or <c>v CHOSEN/RANGE</c>.</summary>
    public void AppendText(StringBuilder text)
    {
        foreach (var point in _points)
        {
            if (point.ValueRange > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"v {point.Chosen}/{point.ValueRange}\n");
                continue;
            }

            text.Append("p ").Append(point.Chosen.ToString(CultureInfo.InvariantCulture));
            for (var i = 0; i < point.EntryCount; i++)
            {
                var entry = _entries[point.EntryStart + i];
                text.Append(' ').Append(entry.ThreadId.ToString(CultureInfo.InvariantCulture)).Append(':').Append(KindName(entry.Kind));
                if (entry.Target is not null)
                {
                    text.Append(':').Append(Uri.EscapeDataString(entry.Target));
                }
            }

            text.Append('\n');
        }
    }

    /// <summary>Parses one point line written by <see cref="AppendText"/> and appends it.</summary>
    /// <exception cref="FormatException">The line is malformed.</exception>
    public void ParseLine(string line)
    {
        var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (tokens[0] == "v")
        {
            var slash = tokens.Length == 2 ? tokens[1].IndexOf('/', StringComparison.Ordinal) : -1;
            if (slash < 0 || !TryParse(tokens[1][..slash], out var value) || !TryParse(tokens[1][(slash + 1)..], out var range) || range < 1 || value < 0 || value >= range)
            {
                throw new FormatException($"Bad value point '{line}': expected 'v VALUE/RANGE' with 0 <= VALUE < RANGE.");
            }

            AddValuePoint(range, value);
            return;
        }

        if (tokens.Length < 2 || !int.TryParse(tokens[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chosen) || chosen < -1)
        {
            throw new FormatException($"Bad point '{line}': expected 'p CHOSEN ID:KIND[:TARGET] ...'.");
        }

        BeginThreadPoint();
        foreach (var token in tokens.Skip(2))
        {
            var parts = token.Split(':');
            if (parts.Length is < 2 or > 3 || !TryParse(parts[0], out var id) || !TryParseKind(parts[1], out var kind))
            {
                throw new FormatException($"Bad point entry '{token}' in '{line}': expected ID:KIND[:TARGET].");
            }

            AddEntry(id, kind, parts.Length == 3 ? Uri.UnescapeDataString(parts[2]) : null);
        }

        EndThreadPoint(chosen);
    }

    public static string KindName(PendingKind kind) => kind switch
    {
        PendingKind.Start => "start",
        PendingKind.Acquire => "acquire",
        PendingKind.Join => "join",
        PendingKind.Yield => "yield",
        PendingKind.Continue => "continue",
        PendingKind.SemaphoreWait => "sem-wait",
        PendingKind.EventWait => "event-wait",
        PendingKind.ConditionWait => "cond-wait",
        PendingKind.Read => "read",
        PendingKind.Write => "write",
        PendingKind.Await => "await",
        PendingKind.Delay => "delay",
        PendingKind.Timer => "timer",
        _ => "running",
    };

    private static bool TryParseKind(string text, out PendingKind kind)
    {
        foreach (var candidate in Enum.GetValues<PendingKind>())
        {
            if (candidate != PendingKind.None && KindName(candidate) == text)
            {
                kind = candidate;
                return true;
            }
        }

        kind = PendingKind.None;
        return false;
    }

    private static bool TryParse(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private string ThreadLabel(int id) =>
        id < _threadNames.Count ? $"t{id} '{_threadNames[id]}'" : $"t{id}";

    private readonly record struct Point(int EntryStart, int EntryCount, int Chosen, int ValueRange);

    private readonly record struct PointEntry(int ThreadId, PendingKind Kind, string? Target);
}
