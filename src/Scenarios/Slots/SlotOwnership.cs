using Veralloc.Allocators.Slots;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// Which concurrent party (a logical thread, a Coyote worker) owns which slot, kept beside a pool by a test harness:
/// a slot handed out must be owned by nobody, a slot given back must be the giver's, and at the end a slot is Used
/// exactly when someone owns it. Each check returns what is wrong, or null, so every harness reports it its own way.
/// </summary>
/// <param name="capacity">The pool's capacity.</param>
/// <param name="party">What an owner is called in messages, for example <c>thread</c> or <c>worker</c>.</param>
public sealed class SlotOwnership(int capacity, string party)
{
    private const int Nobody = -1;

    private readonly int[] _ownerOf = Filled(capacity);

    /// <summary>The number of slots owned now.</summary>
    public int OwnedCount => _ownerOf.Count(owner => owner != Nobody);

    /// <summary>Records that <paramref name="owner"/> was handed <paramref name="slot"/>; what is wrong if someone owns it already.</summary>
    public string? Take(int owner, int slot)
    {
        if (_ownerOf[slot] != Nobody)
        {
            return $"slot {slot} handed to {party} {owner} while {party} {_ownerOf[slot]} owns it";
        }

        _ownerOf[slot] = owner;
        return null;
    }

    /// <summary>Records that <paramref name="owner"/> gives <paramref name="slot"/> back; what is wrong if it is not the owner's.</summary>
    public string? GiveBack(int owner, int slot)
    {
        if (_ownerOf[slot] != owner)
        {
            return $"{party} {owner} frees slot {slot} owned by {Describe(slot)}";
        }

        _ownerOf[slot] = Nobody;
        return null;
    }

    /// <summary>Conservation against <paramref name="pool"/>: a slot is Used exactly when owned, and the empty-slot count is capacity minus the slots owned.</summary>
    /// <returns>What is wrong, or null.</returns>
    public string? FindConservationViolation(ISlotPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return FindConservationViolation(slot => pool.GetSlotState(slot).Kind, () => pool.EmptySlotCount, pool.Capacity);
    }

    /// <summary>The same conservation against a sharded pool, over its global slot ids.</summary>
    /// <returns>What is wrong, or null.</returns>
    public string? FindConservationViolation(IShardedSlotPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return FindConservationViolation(slot => pool.GetSlotState(slot).Kind, () => pool.EmptySlotCount, pool.Capacity);
    }

    private string? FindConservationViolation(Func<int, SlotKind> kindOf, Func<int> emptySlotCount, int capacity)
    {
        var owned = 0;
        for (var slot = 0; slot < _ownerOf.Length; slot++)
        {
            var used = kindOf(slot) == SlotKind.Used;
            var isOwned = _ownerOf[slot] != Nobody;
            if (used != isOwned)
            {
                return $"conservation: slot {slot} is {(used ? "Used" : "not Used")} but owned by {Describe(slot)}";
            }

            owned += isOwned ? 1 : 0;
        }

        var empty = emptySlotCount();
        return empty == capacity - owned
            ? null
            : $"conservation: EmptySlotCount {empty} != capacity {capacity} - owned {owned}";
    }

    private string Describe(int slot) => _ownerOf[slot] == Nobody ? "nobody" : $"{party} {_ownerOf[slot]}";

    private static int[] Filled(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        var owners = new int[capacity];
        Array.Fill(owners, Nobody);
        return owners;
    }
}
