using Veralloc.Allocators.Slots;

namespace Veralloc.Scenarios.Slots;

/// <summary>
/// A pool that forwards every call to another; a subclass overrides the one call it changes. Tests use it to build a
/// pool that misreports in one place (for example a query off by one) and show that a check catches it.
/// </summary>
/// <param name="inner">The pool calls go to.</param>
public abstract class ForwardingSlotPool(ISlotPool inner) : ISlotPool
{
    /// <summary>The pool calls go to.</summary>
    protected ISlotPool Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <inheritdoc />
    public virtual int Capacity => Inner.Capacity;

    /// <inheritdoc />
    public virtual int EmptySlotCount => Inner.EmptySlotCount;

    /// <inheritdoc />
    public virtual long UnusedBytesResident => Inner.UnusedBytesResident;

    /// <inheritdoc />
    public virtual int[] GetWarmList() => Inner.GetWarmList();

    /// <inheritdoc />
    public virtual bool TryAllocate(SlotAffinity? affinity, out int slotId) => Inner.TryAllocate(affinity, out slotId);

    /// <inheritdoc />
    public virtual bool TryAllocateAffineAndClear(SlotAffinity affinity, out int slotId) => Inner.TryAllocateAffineAndClear(affinity, out slotId);

    /// <inheritdoc />
    public virtual void Free(int slotId, long bytesResident) => Inner.Free(slotId, bytesResident);

    /// <inheritdoc />
    public virtual SlotState GetSlotState(int slotId) => Inner.GetSlotState(slotId);

    /// <inheritdoc />
    public virtual void CheckInvariants() => Inner.CheckInvariants();
}
