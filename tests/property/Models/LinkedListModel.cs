using Veralloc.Invariants;

namespace Veralloc.Tests.Property.Models;

/// <summary>
/// SEED-SEMANTICS §4 unsorted linked list as a plain list of regions, head first: first fit, region start aligned
/// up, front and back leftovers each zero or at least one node (else the region is skipped), back then front
/// leftover pushed at the head, frees pushed at the head, never merged.
/// </summary>
public sealed class LinkedListModel
{
    private const long Node = 16;
    private const long Word = 8;
    private readonly List<AddressRange> _regions = [];

    public LinkedListModel(long managedBytes)
    {
        if (managedBytes >= Node)
        {
            _regions.Add(new AddressRange(0, managedBytes));
        }
    }

    public IReadOnlyList<AddressRange> Regions => _regions;

    public static long Full(long size) => Math.Max(((size + Word - 1) / Word) * Word, Node);

    public long? Allocate(long size, long alignment)
    {
        long full = Full(size);
        long align = Math.Max(alignment, Word);
        for (int i = 0; i < _regions.Count; i++)
        {
            AddressRange region = _regions[i];
            long aligned = ((region.Start + align - 1) / align) * align;
            long front = aligned - region.Start;
            long back = region.End - (aligned + full);
            if (back < 0 || (front > 0 && front < Node) || (back > 0 && back < Node))
            {
                continue;
            }

            _regions.RemoveAt(i);
            if (back > 0)
            {
                _regions.Insert(0, new AddressRange(aligned + full, back));
            }

            if (front > 0)
            {
                _regions.Insert(0, new AddressRange(region.Start, front));
            }

            return aligned;
        }

        return null;
    }

    public void Free(long offset, long size) => _regions.Insert(0, new AddressRange(offset, Full(size)));
}
