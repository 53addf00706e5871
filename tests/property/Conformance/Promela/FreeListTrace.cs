using System.Globalization;
using System.Text;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// The free-list model's abstract state (spec/promela/freelist.pml), in words: the page count, the free list in list
/// order (node, size), and the live blocks in address order (offset, rounded size). Text form, as the model prints it
/// under -DCONFORMANCE: <c>pages 2 free 10/2 0/2 live 2/6 12/4</c>.
/// </summary>
internal sealed record FreeListState(int Pages, (int Node, int Size)[] Free, (int Offset, int Size)[] Live)
{
    public static FreeListState Parse(string text)
    {
        string[] tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int freeAt = Array.IndexOf(tokens, "free");
        int liveAt = Array.IndexOf(tokens, "live");
        if (tokens.Length < 4 || tokens[0] != "pages" || freeAt != 2 || liveAt < freeAt)
        {
            throw new FormatException($"not a free-list state: `{text}`");
        }

        return new FreeListState(
            Number(tokens[1]),
            tokens[(freeAt + 1)..liveAt].Select(Pair).ToArray(),
            tokens[(liveAt + 1)..].Select(Pair).ToArray());
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"pages {Pages} free");
        foreach ((int node, int size) in Free)
        {
            text.Append(CultureInfo.InvariantCulture, $" {node}/{size}");
        }

        text.Append(" live");
        foreach ((int offset, int size) in Live)
        {
            text.Append(CultureInfo.InvariantCulture, $" {offset}/{size}");
        }

        return text.ToString();
    }

    public bool Equals(FreeListState? other) => other is not null && ToString() == other.ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    internal static int Number(string token) => int.Parse(token, NumberStyles.None, CultureInfo.InvariantCulture);

    private static (int, int) Pair(string token)
    {
        string[] parts = token.Split('/');
        return parts.Length == 2 ? (Number(parts[0]), Number(parts[1])) : throw new FormatException($"not an offset/size pair: `{token}`");
    }
}

/// <summary>One free-list operation in the model's terms (words).</summary>
internal abstract record FreeListOp
{
    private FreeListOp()
    {
    }

    /// <summary>Allocate <see cref="Request"/> words aligned to <see cref="Align"/> words; <see cref="Offset"/> is the result (null: no memory).</summary>
    public sealed record Alloc(int Request, int Align, int? Offset) : FreeListOp
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"alloc {Request} {Align} -> {(Offset is int offset ? offset.ToString(CultureInfo.InvariantCulture) : "none")}");
    }

    /// <summary>Free the live block at <see cref="Offset"/> of <see cref="Size"/> (rounded) words.</summary>
    public sealed record Free(int Offset, int Size) : FreeListOp
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"free {Offset} {Size}");
    }

    public static FreeListOp Parse(string text)
    {
        string[] t = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return t switch
        {
            ["alloc", var request, var align, "->", "none"] => new Alloc(FreeListState.Number(request), FreeListState.Number(align), null),
            ["alloc", var request, var align, "->", var offset] => new Alloc(FreeListState.Number(request), FreeListState.Number(align), FreeListState.Number(offset)),
            ["free", var offset, var size] => new Free(FreeListState.Number(offset), FreeListState.Number(size)),
            _ => throw new FormatException($"not a free-list operation: `{text}`"),
        };
    }
}

/// <summary>One step of a free-list trace: the operation with its result, the model cases it took (exported traces only), the state after it.</summary>
internal sealed record FreeListStep(FreeListOp Op, int[] Cases, FreeListState State)
{
    public override string ToString() => $"{Op} | cases{string.Concat(Cases.Select(c => " " + c.ToString(CultureInfo.InvariantCulture)))} | {State}";
}
