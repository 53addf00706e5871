using Veralloc.Allocators.Slots;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// The slice of the slot allocator the scenarios drive, so the same scenario runs against the real
/// <see cref="SlotAllocator"/> and against a mutant.
/// </summary>
public interface ISlotPool
{
    /// <summary>The number of slots.</summary>
    int Capacity { get; }

    /// <summary>Slots not Used (cold plus warm).</summary>
    int EmptySlotCount { get; }

    /// <summary>The sum of resident bytes over warm slots.</summary>
    long UnusedBytesResident { get; }

    /// <summary>The warm list, least recently freed first.</summary>
    int[] GetWarmList();

    /// <summary>Allocates a slot, preferring one affine to <paramref name="affinity"/>.</summary>
    bool TryAllocate(SlotAffinity? affinity, out int slotId);

    /// <summary>Takes the most recent slot affine to <paramref name="affinity"/> and clears its affinity.</summary>
    bool TryAllocateAffineAndClear(SlotAffinity affinity, out int slotId);

    /// <summary>Returns a Used slot.</summary>
    void Free(int slotId, long bytesResident);

    /// <summary>The state of one slot.</summary>
    SlotState GetSlotState(int slotId);

    /// <summary>Throws when an invariant is broken.</summary>
    void CheckInvariants();
}

/// <summary>The real allocator behind <see cref="ISlotPool"/>.</summary>
public sealed class RealSlotPool(SlotAllocator allocator) : ISlotPool
{
    /// <inheritdoc />
    public int Capacity => allocator.Capacity;

    /// <inheritdoc />
    public int EmptySlotCount => allocator.EmptySlotCount;

    /// <inheritdoc />
    public long UnusedBytesResident => allocator.UnusedBytesResident;

    /// <inheritdoc />
    public int[] GetWarmList() => allocator.GetWarmList();

    /// <inheritdoc />
    public bool TryAllocate(SlotAffinity? affinity, out int slotId) => allocator.TryAllocate(affinity, out slotId);

    /// <inheritdoc />
    public bool TryAllocateAffineAndClear(SlotAffinity affinity, out int slotId) => allocator.TryAllocateAffineAndClear(affinity, out slotId);

    /// <inheritdoc />
    public void Free(int slotId, long bytesResident) => allocator.Free(slotId, bytesResident);

    /// <inheritdoc />
    public SlotState GetSlotState(int slotId) => allocator.GetSlotState(slotId);

    /// <inheritdoc />
    public void CheckInvariants() => allocator.CheckInvariants();
}
