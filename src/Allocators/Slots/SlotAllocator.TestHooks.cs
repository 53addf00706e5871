namespace Veralloc.Allocators.Slots;

/// <summary>
/// Test-only hooks that break one field at a time, so each SLOT-* invariant has a test proving that
/// <see cref="CheckInvariants"/> reports it. Internal: visible to the test assemblies only.
/// </summary>
public sealed partial class SlotAllocator
{
    internal void CorruptWarmLinksForTest(int slot, int prev, int next) => UnderLock(() =>
    {
        _warmPrev[slot] = prev;
        _warmNext[slot] = next;
    });

    internal void CorruptAffineLinksForTest(int slot, int prev, int next) => UnderLock(() =>
    {
        _affinePrev[slot] = prev;
        _affineNext[slot] = next;
    });

    internal void CorruptAffineListForTest(SlotAffinity key, int head, int tail) => UnderLock(() => _affineLists[key] = (head, tail));

    internal void CorruptSlotForTest(int slot, SlotKind kind, SlotAffinity? affinity, long bytesResident) => UnderLock(() =>
    {
        _kind[slot] = kind;
        _affinity[slot] = affinity;
        _bytesResident[slot] = bytesResident;
    });

    internal void CorruptCountersForTest(int? lastCold = null, int? unusedWarm = null, int? used = null, long? unusedBytesResident = null) => UnderLock(() =>
    {
        _lastCold = lastCold ?? _lastCold;
        _unusedWarm = unusedWarm ?? _unusedWarm;
        _used = used ?? _used;
        _unusedBytesResident = unusedBytesResident ?? _unusedBytesResident;
    });

    private void UnderLock(Action change)
    {
        _lock.Enter();
        try
        {
            change();
        }
        finally
        {
            _lock.Exit();
        }
    }
}
