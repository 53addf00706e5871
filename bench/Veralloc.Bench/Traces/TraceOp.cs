using System.Runtime.InteropServices;

namespace Veralloc.Bench.Traces;

/// <summary>The four operations of the shared trace format (see <c>shared/tools/gen_traces.py</c>).</summary>
public enum TraceOpKind : byte
{
    /// <summary><c>a ID SIZE ALIGN</c>: allocate and remember the block as ID.</summary>
    Alloc,

    /// <summary><c>f ID</c>: free the block remembered as ID.</summary>
    Free,

    /// <summary><c>s KEY</c>: allocate a slot with affinity KEY (-1 = none).</summary>
    SlotAlloc,

    /// <summary><c>r IDX</c>: free the IDX-th held slot, swap-removing it from the held list.</summary>
    SlotFree,
}

/// <summary>
/// One parsed trace operation, 16 bytes so a million of them stay cache-friendly during replay.
/// </summary>
/// <remarks>
/// For <see cref="TraceOpKind.Free"/> the parser copies the size and alignment of the matching
/// allocation into the op, so replay needs no lookup besides the id's offset. For slot ops
/// <see cref="Id"/> holds KEY or IDX and size/alignment are zero.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct TraceOp(TraceOpKind Kind, int Id, int Size, int Alignment)
{
    /// <summary>An allocation of <paramref name="size"/> bytes aligned to <paramref name="alignment"/>.</summary>
    public static TraceOp Alloc(int id, int size, int alignment) => new(TraceOpKind.Alloc, id, size, alignment);

    /// <summary>A free of block <paramref name="id"/>, carrying the size and alignment it was allocated with.</summary>
    public static TraceOp Free(int id, int size, int alignment) => new(TraceOpKind.Free, id, size, alignment);

    /// <summary>A slot allocation with affinity <paramref name="key"/> (-1 = none).</summary>
    public static TraceOp SlotAlloc(int key) => new(TraceOpKind.SlotAlloc, key, 0, 0);

    /// <summary>A slot free of held index <paramref name="heldIndex"/>.</summary>
    public static TraceOp SlotFree(int heldIndex) => new(TraceOpKind.SlotFree, heldIndex, 0, 0);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        TraceOpKind.Alloc => $"a {Id} {Size} {Alignment}",
        TraceOpKind.Free => $"f {Id}",
        TraceOpKind.SlotAlloc => $"s {Id}",
        _ => $"r {Id}",
    };
}
