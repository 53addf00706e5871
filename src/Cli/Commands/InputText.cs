using System.Globalization;
using System.Text;

namespace Veralloc.Cli.Commands;

/// <summary>
/// Makes text that came from input (a trace line, a file name, an argument, an exception message quoting either) safe to
/// print: every message the CLI writes passes through <see cref="Escape"/>, so a hostile file cannot move the cursor,
/// recolour the terminal, fake a line of output or flood the screen.
/// </summary>
public static class InputText
{
    /// <summary>The most characters of one message printed; the rest is counted, not shown.</summary>
    public const int MaxLength = 2_000;

    /// <summary>
    /// Writes control characters (C0, DEL, C1: <c>\n</c>, <c>\r</c>, <c>\t</c> or <c>\xNN</c>), bidirectional overrides
    /// and isolates, line and paragraph separators, the byte-order mark and lone surrogates as visible escapes
    /// (<c>\uNNNN</c>), and cuts the result at <see cref="MaxLength"/> characters. Backslashes are left as they are: the
    /// aim is a terminal that shows what the input held, not a reversible encoding.
    /// </summary>
    /// <param name="text">The text to print.</param>
    /// <returns>The text with nothing a terminal would act on.</returns>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var escaped = new StringBuilder(Math.Min(text.Length, MaxLength) + 16);
        for (var i = 0; i < text.Length; i++)
        {
            if (escaped.Length >= MaxLength)
            {
                escaped.Append(CultureInfo.InvariantCulture, $"… ({text.Length - i} more characters)");
                break;
            }

            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped.Append(c).Append(text[++i]);
                continue;
            }

            switch (c)
            {
                case '\n':
                    escaped.Append("\\n");
                    break;
                case '\r':
                    escaped.Append("\\r");
                    break;
                case '\t':
                    escaped.Append("\\t");
                    break;
                case < '\u0100' when char.IsControl(c):
                    escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
                    break;
                default:
                    if (IsInvisibleFormatting(c))
                    {
                        escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                    }
                    else
                    {
                        escaped.Append(c);
                    }

                    break;
            }
        }

        return escaped.ToString();
    }

    // Characters that reorder or break what the reader sees although the terminal prints no glyph for them.
    private static bool IsInvisibleFormatting(char c) =>
        c is '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u2028' or '\u2029' or '\uFEFF'
        || char.IsSurrogate(c);
}
