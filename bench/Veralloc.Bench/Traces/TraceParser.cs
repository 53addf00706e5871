using System.Globalization;
using System.Text;

namespace Veralloc.Bench.Traces;

/// <summary>
/// Parses the shared trace format (<c>shared/tools/gen_traces.py</c>): one op per line,
/// <c>a ID SIZE ALIGN</c>, <c>f ID</c>, <c>s KEY</c> or <c>r IDX</c>, fields separated by spaces or tabs.
/// Blank lines and lines starting with <c>#</c> are ignored, and so is a UTF-8 byte-order mark at the start. Ids, sizes
/// and alignments must keep within <see cref="TraceLimits"/>. The whole file is parsed and validated before any replay
/// starts, so parsing never lands in a timed region.
/// </summary>
public static class TraceParser
{
    private const int MaxFields = 5;

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>Reads and parses a trace file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The validated trace, named after the file.</returns>
    /// <exception cref="FormatException">A line is malformed or breaks the trace rules; the message names file and line.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ParsedTrace ParseFile(string path) => Parse(File.ReadAllBytes(path), Path.GetFileName(path));

    /// <summary>Parses trace text.</summary>
    /// <param name="text">The trace.</param>
    /// <param name="sourceName">Used in error messages and as the trace name.</param>
    /// <returns>The validated trace.</returns>
    /// <exception cref="FormatException">A line is malformed or breaks the trace rules.</exception>
    public static ParsedTrace Parse(string text, string sourceName) => Parse(Encoding.UTF8.GetBytes(text), sourceName);

    /// <summary>Parses UTF-8 (ASCII) trace bytes.</summary>
    /// <param name="utf8">The trace.</param>
    /// <param name="sourceName">Used in error messages and as the trace name.</param>
    /// <returns>The validated trace.</returns>
    /// <exception cref="FormatException">
    /// A line is malformed or breaks the trace rules (free of a non-live id, id reused while live, an id, size or
    /// alignment outside <see cref="TraceLimits"/>, allocation and slot ops mixed, or no ops at all); the message is
    /// <c>source:line: problem: 'text'</c>, quoting the line as it is (callers that print it escape it).
    /// </exception>
    public static ParsedTrace Parse(ReadOnlySpan<byte> utf8, string sourceName)
    {
        TraceBuilder? builder = null;
        int lineNumber = 0;
        Span<Range> fields = stackalloc Range[MaxFields];

        // Editors on some systems start UTF-8 files with a byte-order mark; it is not part of the first operation.
        if (utf8.StartsWith(Utf8ByteOrderMark))
        {
            utf8 = utf8[Utf8ByteOrderMark.Length..];
        }

        while (!utf8.IsEmpty)
        {
            lineNumber++;
            int newline = utf8.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = newline < 0 ? utf8 : utf8[..newline];
            utf8 = newline < 0 ? default : utf8[(newline + 1)..];
            line = line.TrimEnd((byte)'\r');

            int fieldCount = Split(line, fields);
            if (fieldCount == 0 || line[fields[0]][0] == (byte)'#')
            {
                continue;
            }

            TraceOp op;
            try
            {
                op = ParseOp(line, fields[..fieldCount]);
            }
            catch (FormatException e)
            {
                throw Error(sourceName, lineNumber, e.Message, line);
            }

            builder ??= new TraceBuilder(sourceName, op.Kind is TraceOpKind.Alloc or TraceOpKind.Free ? TraceKind.Allocation : TraceKind.Slot);
            try
            {
                builder.Add(op);
            }
            catch (ArgumentException e)
            {
                throw Error(sourceName, lineNumber, StripParamName(e), line);
            }
        }

        if (builder is null)
        {
            throw new FormatException($"{sourceName}:{Math.Max(lineNumber, 1)}: the trace has no operations (expected lines 'a ID SIZE ALIGN', 'f ID', 's KEY' or 'r IDX').");
        }

        return builder.Build();
    }

    private static TraceOp ParseOp(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields)
    {
        ReadOnlySpan<byte> verb = line[fields[0]];
        if (verb.Length != 1)
        {
            throw new FormatException($"unknown operation '{Encoding.UTF8.GetString(verb)}' (expected a, f, s or r)");
        }

        switch (verb[0])
        {
            case (byte)'a':
                RequireFields(fields, 4, "a ID SIZE ALIGN");
                return TraceOp.Alloc(Number(line, fields[1], "ID"), Number(line, fields[2], "SIZE"), Number(line, fields[3], "ALIGN"));
            case (byte)'f':
                RequireFields(fields, 2, "f ID");
                return TraceOp.Free(Number(line, fields[1], "ID"), 0, 0);
            case (byte)'s':
                RequireFields(fields, 2, "s KEY");
                return TraceOp.SlotAlloc(Number(line, fields[1], "KEY"));
            case (byte)'r':
                RequireFields(fields, 2, "r IDX");
                return TraceOp.SlotFree(Number(line, fields[1], "IDX"));
            default:
                throw new FormatException($"unknown operation '{(char)verb[0]}' (expected a, f, s or r)");
        }
    }

    private static void RequireFields(ReadOnlySpan<Range> fields, int expected, string shape)
    {
        if (fields.Length != expected)
        {
            string found = fields.Length == MaxFields ? $"{MaxFields} or more" : fields.Length.ToString(CultureInfo.InvariantCulture);
            throw new FormatException($"expected '{shape}' ({expected} fields), found {found} fields");
        }
    }

    private static int Number(ReadOnlySpan<byte> line, Range field, string what)
    {
        ReadOnlySpan<byte> text = line[field];
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
        {
            throw new FormatException($"{what} '{Encoding.UTF8.GetString(text)}' is not a 32-bit integer");
        }

        return value;
    }

    /// <summary>Splits on spaces/tabs into at most <paramref name="fields"/>.Length fields; returns the count (capped).</summary>
    private static int Split(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        int count = 0;
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && (line[i] == (byte)' ' || line[i] == (byte)'\t'))
            {
                i++;
            }

            if (i == line.Length)
            {
                break;
            }

            int start = i;
            while (i < line.Length && line[i] != (byte)' ' && line[i] != (byte)'\t')
            {
                i++;
            }

            if (count == fields.Length)
            {
                // Too many fields: report one more than the widest shape, which RequireFields rejects.
                return count;
            }

            fields[count++] = new Range(start, i);
        }

        return count;
    }

    private static string StripParamName(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);

    private static FormatException Error(string sourceName, int lineNumber, string problem, ReadOnlySpan<byte> line) =>
        new($"{sourceName}:{lineNumber}: {problem.TrimEnd('.')}: '{Encoding.UTF8.GetString(line)}'");
}
