using System.Globalization;

namespace Veralloc.Systematic;

/// <summary>
/// One of <see cref="Count"/> disjoint parts of an exploration, so that <see cref="Count"/> jobs (a CI matrix) together
/// cover what one unsharded run covers, each schedule exactly once. Written <c>K/N</c> with <c>1 &lt;= K &lt;= N</c>.
/// </summary>
/// <remarks>
/// Random splits iterations (shard K runs iterations i with i mod N = K - 1, each seeded from the run's seed and i, so
/// the union is the unsharded run's set). DFS splits the schedule tree below its first branching points: every shard
/// walks the same top of the tree and explores only the subtrees it owns (plus one run to discover each subtree it
/// skips). PCT splits iterations like random, but each shard sizes its change points from its own iterations.
/// DPOR cannot be split exactly (a race found in one subtree adds schedules to another) and refuses a shard.
/// </remarks>
/// <param name="Number">This shard's number, from 1.</param>
/// <param name="Count">How many shards; at least 1.</param>
public readonly record struct Shard(int Number, int Count)
{
    /// <summary>The zero-based index of this shard.</summary>
    public int Index => Number - 1;

    /// <summary>Parses <c>K/N</c>.</summary>
    /// <param name="text">For example <c>2/4</c>.</param>
    /// <returns>The shard.</returns>
    /// <exception cref="FormatException">The text is not <c>K/N</c> with <c>1 &lt;= K &lt;= N</c>.</exception>
    public static Shard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0
            || !int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count < 1 || number < 1 || number > count)
        {
            throw new FormatException($"Shard '{text}' is not K/N with 1 <= K <= N (for example 2/4).");
        }

        return new Shard(number, count);
    }

    /// <summary>True when this shard runs the iteration with the given index (random and PCT).</summary>
    internal bool OwnsIteration(int iteration) => iteration % Count == Index;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Number}/{Count}");
}
