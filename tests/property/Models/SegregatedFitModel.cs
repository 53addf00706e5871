using Veralloc.Invariants;

namespace Veralloc.Tests.Property.Models;

/// <summary>
/// What SEED-SEMANTICS §5 and spec/segfit.md promise of the segregated-fit allocator, without its policy: the live
/// blocks (granule-rounded) inside the range, never overlapping; immediate coalescing, so the free blocks are
/// exactly the maximal gaps between live blocks; and a shadow of the range in which each live block's bytes carry
/// its tag (the allocator never touches the range, so this shadow is what proves no overlap).
/// </summary>
public sealed class SegregatedFitModel(long capacityBytes)
{
    private const long Granule = 16;
    private readonly SortedDictionary<long, long> _live = [];
    private byte[] _shadow = new byte[capacityBytes];

    public long Capacity { get; private set; } = capacityBytes;

    public int LiveCount => _live.Count;

    public long LiveBytes { get; private set; }

    public static long Rounded(long size) => (size + Granule - 1) / Granule * Granule;

    /// <summary>Records an allocation the allocator made; returns null or what is wrong with it.</summary>
    public string? Allocated(long offset, long size, long alignment, byte tag)
    {
        long rounded = Rounded(size);
        if (offset < 0 || offset % alignment != 0 || offset % Granule != 0 || rounded > Capacity - offset)
        {
            return $"offset {offset} (size {rounded}) is misaligned for {alignment} or outside [0, {Capacity})";
        }

        int owned = _shadow.AsSpan((int)offset, (int)rounded).IndexOfAnyExcept((byte)0);
        if (owned >= 0)
        {
            return $"[{offset}, +{rounded}) overlaps a live block (byte {offset + owned} carries tag {_shadow[offset + owned]})";
        }

        _shadow.AsSpan((int)offset, (int)rounded).Fill(tag);
        _live.Add(offset, rounded);
        LiveBytes += rounded;
        return null;
    }

    /// <summary>Checks the block's tag is intact and releases it; returns null or what is wrong.</summary>
    public string? Freed(long offset, byte tag)
    {
        long rounded = _live[offset];
        int broken = _shadow.AsSpan((int)offset, (int)rounded).IndexOfAnyExcept(tag);
        _shadow.AsSpan((int)offset, (int)rounded).Clear();
        _live.Remove(offset);
        LiveBytes -= rounded;
        return broken < 0 ? null : $"the shadow of [{offset}, +{rounded}) lost tag {tag} at byte {offset + broken}";
    }

    public void Grow(long bytes)
    {
        Capacity += bytes;
        Array.Resize(ref _shadow, (int)Capacity);
    }

    /// <summary>The maximal gaps between live blocks, in address order: the free blocks an eagerly coalescing allocator has.</summary>
    public List<AddressRange> FreeRanges()
    {
        var gaps = new List<AddressRange>();
        long cursor = 0;
        foreach ((long start, long size) in _live)
        {
            if (start > cursor)
            {
                gaps.Add(new AddressRange(cursor, start - cursor));
            }

            cursor = start + size;
        }

        if (cursor < Capacity)
        {
            gaps.Add(new AddressRange(cursor, Capacity - cursor));
        }

        return gaps;
    }
}
