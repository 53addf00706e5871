namespace Veralloc.Scenarios.Mutants;

/// <summary>
/// The bug injected into <see cref="MutantSlotPool"/>. Every mutation is invisible to a single-threaded test that
/// calls <c>CheckInvariants</c> after each operation: each breaks only when another thread runs at the wrong moment.
/// </summary>
public enum SlotMutation
{
    /// <summary>The faithful copy: no bug. Must pass every scenario.</summary>
    None,

    /// <summary>Alloc chooses a slot in one critical section and takes it in a second one, without re-checking.</summary>
    CheckThenActSplit,

    /// <summary>Free reads the warm counter before taking the lock and writes it back inside: a lost increment.</summary>
    CounterOutsideLock,

    /// <summary>Free reads the resident-bytes total in one critical section and adds to it in a later one.</summary>
    LostUpdateResidentBytes,

    /// <summary>Taking a warm slot unlinks it from the warm list in one critical section and from its affine list in another.</summary>
    UnlinkInTwoSections,

    /// <summary>On the cold path alloc releases the lock before it advances the cold cursor and marks the slot Used.</summary>
    LockReleasedEarly,
}
