namespace Veralloc.Invariants;

/// <summary>
/// Walks a singly linked structure with a hard step limit, so that a corrupted (cyclic or
/// runaway) list is reported as a violation instead of looping forever.
/// </summary>
public static class BoundedWalk
{
    /// <summary>
    /// Appends to <paramref name="visited"/> every element from <paramref name="first"/> until
    /// <paramref name="isEnd"/> says the list ended, visiting at most <paramref name="maxElements"/>.
    /// </summary>
    /// <typeparam name="T">The element handle (an offset, an index).</typeparam>
    /// <param name="first">The head handle.</param>
    /// <param name="isEnd">True for the end-of-list handle.</param>
    /// <param name="next">Reads the successor of an element; may itself return a violation-worthy handle.</param>
    /// <param name="maxElements">The most elements a well-formed list can hold (for example heap size / NODE).</param>
    /// <param name="visited">Receives the elements in list order.</param>
    /// <param name="invariantId">The id to report when the bound is exceeded.</param>
    /// <param name="listName">The list's name for the report.</param>
    /// <returns>A violation if the walk did not end within the bound, else null.</returns>
    public static InvariantViolation? Collect<T>(
        T first, Func<T, bool> isEnd, Func<T, T> next, long maxElements, List<T> visited, string invariantId, string listName)
    {
        ArgumentNullException.ThrowIfNull(isEnd);
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(visited);
        ArgumentOutOfRangeException.ThrowIfNegative(maxElements);

        T current = first;
        for (long steps = 0; !isEnd(current); steps++)
        {
            if (steps >= maxElements)
            {
                return new InvariantViolation(invariantId, $"{listName} element #{steps} {current}",
                    $"the walk did not end within {maxElements} elements, the most a well-formed {listName} can hold: the list is cyclic or corrupted");
            }

            visited.Add(current);
            current = next(current);
        }

        return null;
    }
}
