using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Veralloc.Allocators.Memory;

/// <summary>
/// Word reads and writes for an allocator's hot path, implemented by structs so that a generic walk over
/// <c>TWords : struct, IWordAccess</c> is compiled once per backing with the access inlined: no interface
/// call and no bounds check per word, whatever the tiering mode (docs/design-notes/0014-freelist-direct-words.md).
/// </summary>
/// <remarks>
/// The raw accessors (<see cref="NativeWords"/>, <see cref="SlabWords"/>) do not check their offsets. Their
/// callers must pass only offsets they have proven to lie inside <c>[0, SizeBytes - 8]</c> of the memory they
/// were taken from, 8-aligned: the validated walks of note 0007 prove exactly that for every word they touch.
/// Anything else goes through <see cref="InterfaceWords"/>, which checks every access.
/// </remarks>
internal interface IWordAccess
{
    /// <summary>The memory's size in bytes now (it changes when the memory grows): the bound every walk validates against.</summary>
    long SizeBytes { get; }

    /// <summary>The 8-byte little-endian word at <paramref name="offset"/>.</summary>
    long Read(long offset);

    /// <summary>Stores the 8-byte little-endian <paramref name="value"/> at <paramref name="offset"/>.</summary>
    void Write(long offset, long value);
}

/// <summary>Direct access to a <see cref="NativeLinearMemory"/> reservation through its base pointer.</summary>
/// <remarks>
/// Valid while the memory is not disposed: take one per operation (<see cref="Of"/> throws
/// <see cref="ObjectDisposedException"/> once it is) and never keep it. The base never moves, so growth during
/// the operation does not invalidate it.
/// </remarks>
internal readonly unsafe struct NativeWords : IWordAccess
{
    private readonly NativeLinearMemory _memory;
    private readonly byte* _base;

    private NativeWords(NativeLinearMemory memory, byte* basePointer)
    {
        _memory = memory;
        _base = basePointer;
    }

    /// <inheritdoc />
    public long SizeBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _memory.SizeBytes;
    }

    /// <summary>The access for <paramref name="memory"/> now.</summary>
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    public static NativeWords Of(NativeLinearMemory memory) => new(memory, memory.BasePointer);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Read(long offset)
    {
        Debug.Assert(offset >= 0 && (offset & (LinearMemory.WordBytes - 1)) == 0, "the caller validated the offset");
        long word = Unsafe.ReadUnaligned<long>(_base + offset);
        return BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(long offset, long value)
    {
        Debug.Assert(offset >= 0 && (offset & (LinearMemory.WordBytes - 1)) == 0, "the caller validated the offset");
        Unsafe.WriteUnaligned(_base + offset, BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
    }
}

/// <summary>Direct access to a <see cref="SlabLinearMemory"/>'s slab, which is allocated once and never replaced.</summary>
internal readonly struct SlabWords : IWordAccess
{
    private readonly SlabLinearMemory _memory;
    private readonly byte[] _slab;

    /// <summary>The access for <paramref name="memory"/>; valid for the memory's lifetime.</summary>
    public SlabWords(SlabLinearMemory memory)
    {
        _memory = memory;
        _slab = memory.Slab;
    }

    /// <inheritdoc />
    public long SizeBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _memory.SizeBytes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Read(long offset)
    {
        Debug.Assert(offset >= 0 && offset <= _slab.LongLength - LinearMemory.WordBytes && (offset & (LinearMemory.WordBytes - 1)) == 0,
            "the caller validated the offset");
        long word = Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slab), (nint)offset));
        return BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(long offset, long value)
    {
        Debug.Assert(offset >= 0 && offset <= _slab.LongLength - LinearMemory.WordBytes && (offset & (LinearMemory.WordBytes - 1)) == 0,
            "the caller validated the offset");
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slab), (nint)offset),
            BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
    }
}

/// <summary>Any other <see cref="ILinearMemory"/>: every access goes through the interface, which checks it.</summary>
internal readonly struct InterfaceWords(ILinearMemory memory) : IWordAccess
{
    public long SizeBytes => memory.SizeBytes;

    public long Read(long offset) => memory.ReadWord(offset);

    public void Write(long offset, long value) => memory.WriteWord(offset, value);
}
