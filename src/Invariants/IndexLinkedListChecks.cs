namespace Veralloc.Invariants;

/// <summary>
/// Pure checkers for intrusive doubly linked lists whose elements are ids <c>0..capacity-1</c> and
/// whose links live in flat <c>prev</c>/<c>next</c> arrays (the slot allocator's warm and affine lists,
/// size-class lists). O(length) each.
/// </summary>
public static class IndexLinkedListChecks
{
    /// <summary>The link value meaning "no element".</summary>
    public const int None = -1;

    /// <summary>
    /// Checks link consistency: head is none iff tail is none; <c>prev[head]</c> and <c>next[tail]</c> are
    /// none; every link is none or an id in range; for consecutive <c>a, b</c>, <c>next[a] == b</c> and
    /// <c>prev[b] == a</c>; the walk from head reaches tail within <c>capacity</c> steps. On success,
    /// <paramref name="members"/> holds the list in head-to-tail order.
    /// </summary>
    /// <param name="listName">The list's name for the report, for example <c>warm list</c>.</param>
    /// <param name="head">The first id, or <see cref="None"/>.</param>
    /// <param name="tail">The last id, or <see cref="None"/>.</param>
    /// <param name="prev">Backward links, indexed by id.</param>
    /// <param name="next">Forward links, indexed by id.</param>
    /// <param name="members">Cleared, then receives the members in order.</param>
    /// <param name="invariantId">The id to report, for example <c>SLOT-LINKS</c>.</param>
    /// <returns>The first violation, or null.</returns>
    public static InvariantViolation? CheckLinks(
        string listName, int head, int tail, ReadOnlySpan<int> prev, ReadOnlySpan<int> next, List<int> members, string invariantId)
    {
        ArgumentNullException.ThrowIfNull(members);
        members.Clear();
        int capacity = next.Length;
        if (prev.Length != capacity)
        {
            throw new ArgumentException($"prev has {prev.Length} entries but next has {capacity}; both must have one per id.", nameof(prev));
        }

        if ((head == None) != (tail == None))
        {
            return new InvariantViolation(invariantId, listName, $"head is {Show(head)} but tail is {Show(tail)}: both must be none or neither");
        }

        if (head == None)
        {
            return null;
        }

        if (!InRange(head, capacity) || !InRange(tail, capacity))
        {
            return new InvariantViolation(invariantId, listName, $"head {head} or tail {tail} is outside 0..{capacity - 1}");
        }

        if (prev[head] != None)
        {
            return new InvariantViolation(invariantId, $"{listName} head {head}", $"prev of the head must be none but is {Show(prev[head])}");
        }

        if (next[tail] != None)
        {
            return new InvariantViolation(invariantId, $"{listName} tail {tail}", $"next of the tail must be none but is {Show(next[tail])}");
        }

        int current = head;
        for (int steps = 0; ; steps++)
        {
            if (steps >= capacity)
            {
                return new InvariantViolation(invariantId, $"{listName} element {current}",
                    $"the walk from head {head} did not reach tail {tail} within {capacity} steps: the list is cyclic or corrupted");
            }

            members.Add(current);
            int successor = next[current];
            if (successor == None)
            {
                return current == tail
                    ? null
                    : new InvariantViolation(invariantId, $"{listName} element {current}", $"the walk ended at {current}, not at the tail {tail}");
            }

            if (!InRange(successor, capacity))
            {
                return new InvariantViolation(invariantId, $"{listName} element {current}", $"next is {successor}, outside 0..{capacity - 1}");
            }

            if (prev[successor] != current)
            {
                return new InvariantViolation(invariantId, $"{listName} element {successor}",
                    $"next[{current}] = {successor} but prev[{successor}] = {Show(prev[successor])}; they must agree");
            }

            current = successor;
        }
    }

    /// <summary>
    /// Checks that <paramref name="members"/> holds each id for which <paramref name="shouldBeMember"/> is
    /// true exactly once and no other id.
    /// </summary>
    /// <param name="listName">The list's name for the report.</param>
    /// <param name="members">The list's members, as produced by <see cref="CheckLinks"/>.</param>
    /// <param name="capacity">The number of ids.</param>
    /// <param name="shouldBeMember">Whether an id belongs on the list.</param>
    /// <param name="invariantId">The id to report, for example <c>SLOT-WARM</c>.</param>
    /// <returns>The first violation, or null.</returns>
    public static InvariantViolation? CheckMembership(
        string listName, IReadOnlyList<int> members, int capacity, Func<int, bool> shouldBeMember, string invariantId)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(shouldBeMember);
        var seen = new bool[capacity];
        foreach (int id in members)
        {
            if (!InRange(id, capacity))
            {
                return new InvariantViolation(invariantId, $"{listName} element {id}", $"id is outside 0..{capacity - 1}");
            }

            if (seen[id])
            {
                return new InvariantViolation(invariantId, $"{listName} element {id}", "the id appears more than once");
            }

            seen[id] = true;
            if (!shouldBeMember(id))
            {
                return new InvariantViolation(invariantId, $"{listName} element {id}", "the id is on the list but does not belong there");
            }
        }

        for (int id = 0; id < capacity; id++)
        {
            if (!seen[id] && shouldBeMember(id))
            {
                return new InvariantViolation(invariantId, $"slot {id}", $"the id belongs on the {listName} but is missing from it");
            }
        }

        return null;
    }

    private static bool InRange(int id, int capacity) => (uint)id < (uint)capacity;

    private static string Show(int link) => link == None ? "none" : link.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
