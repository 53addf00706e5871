namespace Veralloc.Systematic.Minimization;

/// <summary>
/// The ddmin algorithm of delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
/// IEEE TSE 2002), over any list: split it into <c>n</c> chunks, try keeping one chunk alone, then try dropping one
/// chunk; on success continue from the smaller list, otherwise double <c>n</c>, until the chunks are single items.
/// </summary>
/// <remarks>
/// The judge may answer with a list other than the candidate it was given (the minimiser answers with the decisions the
/// candidate run really made, which fill the gaps of the candidate with defaults). The search then continues from that
/// answer. The judge must accept only answers that are strictly smaller in some well-founded order of its own, so the
/// search ends; the minimiser's order is (steps, decisions) of the run.
/// </remarks>
internal static class DeltaDebugging
{
    /// <summary>Shrinks <paramref name="input"/> while <paramref name="judge"/> accepts smaller candidates.</summary>
    /// <param name="input">The list to shrink; the judge is assumed to accept it.</param>
    /// <param name="judge">Returns null to reject a candidate, else the list to continue from.</param>
    /// <param name="canTry">Asked before each candidate; false stops the search (a budget ran out) with the best so far.</param>
    /// <returns>A list no single chunk removal of which the judge accepts (1-minimal), or the best one when stopped early.</returns>
    public static IReadOnlyList<T> Minimize<T>(IReadOnlyList<T> input, Func<IReadOnlyList<T>, IReadOnlyList<T>?> judge, Func<bool> canTry)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(judge);
        ArgumentNullException.ThrowIfNull(canTry);
        var current = input;
        var granularity = 2;
        while (current.Count >= 2)
        {
            granularity = Math.Min(granularity, current.Count);
            var chunks = Split(current, granularity);
            IReadOnlyList<T>? next = null;
            for (var i = 0; i < chunks.Count && next is null; i++)
            {
                if (!canTry())
                {
                    return current;
                }

                next = judge(chunks[i]);
            }

            if (next is not null)
            {
                current = next;
                granularity = 2;
                continue;
            }

            // With two chunks each complement is the other chunk, already tried.
            for (var i = 0; i < chunks.Count && next is null && granularity > 2; i++)
            {
                if (!canTry())
                {
                    return current;
                }

                next = judge(Complement(chunks, i));
            }

            if (next is not null)
            {
                current = next;
                granularity = Math.Max(granularity - 1, 2);
                continue;
            }

            if (granularity >= current.Count)
            {
                break;
            }

            granularity = Math.Min(granularity * 2, current.Count);
        }

        return current;
    }

    private static List<T[]> Split<T>(IReadOnlyList<T> list, int parts)
    {
        var chunks = new List<T[]>(parts);
        var start = 0;
        for (var part = 0; part < parts; part++)
        {
            // Sizes differ by at most one.
            var size = (list.Count - start) / (parts - part);
            chunks.Add(list.Skip(start).Take(size).ToArray());
            start += size;
        }

        return chunks;
    }

    private static T[] Complement<T>(List<T[]> chunks, int left) =>
        chunks.Where((_, index) => index != left).SelectMany(chunk => chunk).ToArray();
}
