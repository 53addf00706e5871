using Spectre.Console;
using Spectre.Console.Rendering;
using Veralloc.Bench.Reporting;
using Veralloc.Invariants;

namespace Veralloc.Cli.Rendering;

/// <summary>A grid picture of a heap: one character per slice, coloured by how much of the slice is free.</summary>
internal static class HeapPicture
{
    public const string Legend = "[red]█[/] used [yellow]▓[/] <50% free [green]▒[/] ≥50% free [grey]·[/] free";

    public static IRenderable Render(string title, long heapBytes, IReadOnlyList<AddressRange> freeBlocks, int columns, int rows)
    {
        int cells = columns * rows;
        double[] free = HeapMap.FreeFractions(heapBytes, freeBlocks, cells);
        long cellBytes = heapBytes == 0 ? 0 : (heapBytes + cells - 1) / cells;
        var text = new System.Text.StringBuilder();
        for (int row = 0; row < rows; row++)
        {
            text.Append(Markup.Escape($"{Bytes((long)row * columns * cellBytes),9} "));
            for (int column = 0; column < columns; column++)
            {
                text.Append(Glyph(free[(row * columns) + column]));
            }

            text.Append('\n');
        }

        text.Append($"[dim]one cell = {Bytes(cellBytes)};[/] {Legend}");
        return new Panel(new Markup(text.ToString())) { Header = new PanelHeader(Markup.Escape(title)), Border = BoxBorder.Rounded };
    }

    /// <summary>Bytes with a binary unit, short enough for narrow terminals: 512 B, 63.5 KiB, 25.5 MiB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
    };

    private static string Glyph(double freeFraction) => freeFraction switch
    {
        double.NaN => " ",
        0 => "[red]█[/]",
        < 0.5 => "[yellow]▓[/]",
        < 1 => "[green]▒[/]",
        _ => "[grey]·[/]",
    };
}
