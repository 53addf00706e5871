using Veralloc.Systematic;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// The engine harnesses' use of a <see cref="SlotOwnership"/> table: a violation found while a logical thread takes or
/// gives back a slot fails that thread's assertion; one found at quiescence fails the check.
/// </summary>
internal static class EngineOwnership
{
    /// <summary>Records that <paramref name="thread"/> now owns <paramref name="slot"/>, and returns the slot.</summary>
    public static int Claim(this SlotOwnership owners, int thread, int slot)
    {
        Require(owners.Take(thread, slot));
        return slot;
    }

    /// <summary>Records that <paramref name="thread"/> gave <paramref name="slot"/> back.</summary>
    public static void Release(this SlotOwnership owners, int thread, int slot) => Require(owners.GiveBack(thread, slot));

    /// <summary>Throws the conservation violation, if any, for a quiescence check.</summary>
    public static void ThrowIfViolated(string? violation)
    {
        if (violation is not null)
        {
            throw new InvalidOperationException(violation);
        }
    }

    private static void Require(string? violation) => Scheduler.Assert(violation is null, violation ?? string.Empty);
}
