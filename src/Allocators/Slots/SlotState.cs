namespace Veralloc.Allocators.Slots;

/// <summary>The three states of a slot (spec/slots.md).</summary>
public enum SlotKind : byte
{
    /// <summary>Never used since the pool was created; slot ids at or above <c>lastCold</c>.</summary>
    UnusedCold = 0,

    /// <summary>Handed out and not yet freed.</summary>
    Used = 1,

    /// <summary>Used before and freed; remembers its affinity and its resident byte count.</summary>
    UnusedWarm = 2,
}

/// <summary>A snapshot of one slot's state.</summary>
/// <param name="Kind">The slot's state.</param>
/// <param name="Affinity">
/// For <see cref="SlotKind.Used"/>: the key it was allocated for, or null. For <see cref="SlotKind.UnusedWarm"/>:
/// the key it remembers, or null. Always null for <see cref="SlotKind.UnusedCold"/>.
/// </param>
/// <param name="BytesResident">
/// For <see cref="SlotKind.UnusedWarm"/>: the resident byte count given to <c>Free</c>. Zero otherwise (the count is
/// forgotten, and subtracted from the pool's total, when the slot is allocated again).
/// </param>
public readonly record struct SlotState(SlotKind Kind, SlotAffinity? Affinity, long BytesResident);
