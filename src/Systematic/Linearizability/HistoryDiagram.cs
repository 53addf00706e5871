using System.Text;

namespace Veralloc.Systematic.Linearizability;

/// <summary>
/// Draws a history one line per thread, time running left to right: each call is a box <c>|- operation -> result -|</c>
/// from its invocation to its response, so calls whose boxes share columns overlapped in time and a box that ends left
/// of another's start really finished first. A pending call's box runs to the right edge, open: <c>|- operation -> (no response) -></c>.
/// </summary>
public static class HistoryDiagram
{
    // Columns between consecutive events, so that two calls of one thread never touch.
    private const int Gap = 2;

    // "|- " + label + " -|"
    private const int BoxOverhead = 6;

    /// <summary>Draws <paramref name="operations"/>.</summary>
    /// <typeparam name="TOperation">An operation with its arguments.</typeparam>
    /// <typeparam name="TResult">What an operation returns.</typeparam>
    /// <param name="operations">The calls, in any order.</param>
    /// <returns>One line per thread (threads in the order of their first call), after a one-line legend.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="operations"/> is null.</exception>
    public static string Draw<TOperation, TResult>(IReadOnlyList<RecordedOperation<TOperation, TResult>> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
        {
            return "  (no calls)";
        }

        var labels = operations.Select(call => call.ToString()).ToArray();
        var start = new int[operations.Count];
        var end = new int[operations.Count];
        var events = new List<(int Position, int Call, bool IsInvocation)>();
        for (var i = 0; i < operations.Count; i++)
        {
            events.Add((operations[i].InvokedAt, i, true));
            if (operations[i].RespondedAt is { } responded)
            {
                events.Add((responded, i, false));
            }
        }

        // Each event one gap right of the last; a response also far enough right for its call's label to fit.
        var column = -Gap;
        foreach (var (_, call, isInvocation) in events.OrderBy(e => e.Position))
        {
            column += Gap;
            if (isInvocation)
            {
                start[call] = column;
            }
            else
            {
                column = Math.Max(column, start[call] + labels[call].Length + BoxOverhead - 1);
                end[call] = column;
            }
        }

        var width = Enumerable.Range(0, operations.Count).Max(i => operations[i].IsPending ? start[i] + labels[i].Length + BoxOverhead : end[i] + 1);
        var threads = operations.OrderBy(call => call.InvokedAt).Select(call => call.Thread).Distinct(StringComparer.Ordinal).ToList();
        var nameWidth = threads.Max(thread => thread.Length);
        var text = new StringBuilder("  time runs left to right; each |- call -> result -| spans one call from its invocation to its response\n");
        foreach (var thread in threads)
        {
            var line = new char[width];
            Array.Fill(line, ' ');
            for (var i = 0; i < operations.Count; i++)
            {
                if (string.Equals(operations[i].Thread, thread, StringComparison.Ordinal))
                {
                    DrawBox(line, start[i], operations[i].IsPending ? width - 1 : end[i], labels[i], operations[i].IsPending);
                }
            }

            text.Append("  ").Append(thread.PadRight(nameWidth)).Append("  ").Append(new string(line).TrimEnd()).Append('\n');
        }

        return text.ToString().TrimEnd('\n');
    }

    private static void DrawBox(char[] line, int from, int to, string label, bool open)
    {
        line[from] = '|';
        for (var x = from + 1; x < to; x++)
        {
            line[x] = '-';
        }

        line[to] = open ? '>' : '|';
        var text = " " + label + " ";
        text.CopyTo(0, line, from + 2, text.Length);
    }
}
