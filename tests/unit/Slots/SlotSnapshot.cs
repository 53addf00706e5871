using Veralloc.Allocators.Slots;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>Everything observable about a pool, through its public queries, in a comparable string.</summary>
internal static class SlotSnapshot
{
    public static string Take(SlotAllocator pool)
    {
        var text = new System.Text.StringBuilder();
        text.Append($"capacity={pool.Capacity} threshold={pool.MaxUnusedWarm} empty={pool.IsEmpty} emptySlots={pool.EmptySlotCount} ");
        text.Append($"warm={pool.UnusedWarmCount} bytes={pool.UnusedBytesResident}\n");
        text.Append($"warm list=[{string.Join(",", pool.GetWarmList())}]\n");
        foreach (var key in pool.GetAffinities())
        {
            text.Append($"affine {key}=[{string.Join(",", pool.GetAffineList(key))}]\n");
        }

        for (int slot = 0; slot < pool.Capacity; slot++)
        {
            text.Append($"{slot}:{pool.GetSlotState(slot)}\n");
        }

        return text.ToString();
    }
}
