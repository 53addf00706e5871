using System.Text;
using Veralloc.Systematic;

namespace Veralloc.Fuzz;

/// <summary>
/// The schedule-trace parser (<see cref="ScheduleTrace.Parse(string, string?)"/>): any text either parses or raises
/// <see cref="FormatException"/> naming the line, never another exception. A parsed trace written out again
/// (<see cref="ScheduleTrace.ToText()"/>) must parse to the same trace and the same text.
/// </summary>
public static class ScheduleTraceTarget
{
    /// <summary>Runs one input.</summary>
    /// <param name="input">Trace text, as UTF-8 bytes (invalid sequences decode to U+FFFD).</param>
    public static void Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        ScheduleTrace trace;
        try
        {
            trace = ScheduleTrace.Parse(text, "fuzz");
        }
        catch (FormatException e)
        {
            FuzzCheckException.Require(e.Message.StartsWith("fuzz:", StringComparison.Ordinal), $"a parse error must name the source and line, got '{e.Message}'");
            return;
        }

        string written = trace.ToText();
        ScheduleTrace reread;
        try
        {
            reread = ScheduleTrace.Parse(written, "written");
        }
        catch (FormatException e)
        {
            throw new FuzzCheckException($"a parsed trace, written out, does not parse: {e.Message}", e);
        }

        FuzzCheckException.Require(reread.ToText() == written, "a written trace parses to one that writes other text");
        FuzzCheckException.Require(reread.Choices.SequenceEqual(trace.Choices), "a written trace parses to other choices");
        FuzzCheckException.Require(
            reread.Strategy == trace.Strategy && reread.Seed == trace.Seed && reread.Iteration == trace.Iteration
            && reread.Scenario == trace.Scenario && reread.Bug == trace.Bug && reread.Settings == trace.Settings,
            "a written trace parses to other header fields");
    }
}
