using Veralloc.Allocators.Slots;

namespace Veralloc.Bench.Replay;

/// <summary>
/// <see cref="SlotAllocator"/> as an <see cref="ISlotPool"/>: key k maps to affinity (module k, memory 0), -1 to
/// none; every freed slot reports <see cref="BytesResidentPerSlot"/> resident bytes.
/// </summary>
public readonly struct SlotAllocatorPool : ISlotPool
{
    /// <summary>What a freed slot reports as resident: one WebAssembly page.</summary>
    public const long BytesResidentPerSlot = 64 * 1024;

    /// <summary>Wraps an allocator.</summary>
    public SlotAllocatorPool(SlotAllocator allocator)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        Allocator = allocator;
    }

    /// <summary>The wrapped allocator.</summary>
    public SlotAllocator Allocator { get; }

    /// <inheritdoc />
    public int Capacity => Allocator.Capacity;

    /// <inheritdoc />
    public bool TryAllocate(int key, out int slotId) =>
        Allocator.TryAllocate(key < 0 ? null : new SlotAffinity(key, 0), out slotId);

    /// <inheritdoc />
    public void Free(int slotId) => Allocator.Free(slotId, BytesResidentPerSlot);

    /// <inheritdoc />
    public void CheckInvariants() => Allocator.CheckInvariants();
}
