namespace Veralloc.Fuzz;

/// <summary>One allocation the model holds: what was asked, where it went, and the byte its contents were filled with.</summary>
/// <param name="Offset">The offset the allocator returned.</param>
/// <param name="Size">The size asked for.</param>
/// <param name="Alignment">The alignment asked for.</param>
/// <param name="Bytes">The bytes the allocator reserves for it (its rounded size).</param>
/// <param name="Fill">The byte every one of its <paramref name="Size"/> bytes holds.</param>
public readonly record struct LiveBlock(long Offset, long Size, long Alignment, long Bytes, byte Fill)
{
    /// <summary>The first offset past the reserved bytes.</summary>
    public long End => Offset + Bytes;
}

/// <summary>The model's live allocations, in allocation order; overlap is checked against all of them.</summary>
public sealed class LiveBlocks
{
    private readonly List<LiveBlock> _blocks = [];

    /// <summary>The number of live allocations.</summary>
    public int Count => _blocks.Count;

    /// <summary>The sum of their reserved bytes.</summary>
    public long ReservedBytes { get; private set; }

    /// <summary>The live allocation at <paramref name="index"/>.</summary>
    /// <param name="index">0..Count-1.</param>
    public LiveBlock this[int index] => _blocks[index];

    /// <summary>Every live allocation.</summary>
    public IReadOnlyList<LiveBlock> All => _blocks;

    /// <summary>Adds an allocation after checking it overlaps none of the live ones.</summary>
    /// <param name="block">The new allocation.</param>
    /// <exception cref="FuzzCheckException">It overlaps a live allocation.</exception>
    public void Add(LiveBlock block)
    {
        foreach (LiveBlock other in _blocks)
        {
            FuzzCheckException.Require(block.End <= other.Offset || other.End <= block.Offset,
                $"allocation [{block.Offset}, {block.End}) overlaps the live allocation [{other.Offset}, {other.End})");
        }

        _blocks.Add(block);
        ReservedBytes += block.Bytes;
    }

    /// <summary>Removes the allocation at <paramref name="index"/>.</summary>
    /// <param name="index">0..Count-1.</param>
    /// <returns>The removed allocation.</returns>
    public LiveBlock RemoveAt(int index)
    {
        LiveBlock block = _blocks[index];
        _blocks[index] = _blocks[^1];
        _blocks.RemoveAt(_blocks.Count - 1);
        ReservedBytes -= block.Bytes;
        return block;
    }

    /// <summary>Replaces the allocation at <paramref name="index"/> (a new fill byte).</summary>
    /// <param name="index">0..Count-1.</param>
    /// <param name="block">The same allocation with new contents.</param>
    public void Replace(int index, LiveBlock block) => _blocks[index] = block;

    /// <summary>Whether <paramref name="offset"/> starts a live allocation.</summary>
    /// <param name="offset">Any offset.</param>
    /// <returns>True when one starts there.</returns>
    public bool StartsAt(long offset) => _blocks.Exists(block => block.Offset == offset);
}
