using System.Diagnostics;
using System.Runtime.InteropServices;
using Veralloc.Allocators;

namespace Veralloc.Bench.Replay;

/// <summary>
/// The baseline: the process allocator (<see cref="NativeMemory.AlignedAlloc"/> / <see cref="NativeMemory.AlignedFree"/>)
/// behind <see cref="IOffsetAllocator"/>, so it replays the same op sequence; offsets are pointers.
/// </summary>
/// <remarks>
/// Keeps only a live-block count (one increment per call) so the end state can be verified; whatever is still
/// live when it is disposed is leaked to the process, which the harness never lets happen on success.
/// </remarks>
public sealed unsafe class NativeMemoryAllocator : IOffsetAllocator
{
    private long _liveBlocks;

    /// <summary>Blocks allocated and not yet freed.</summary>
    public long LiveBlocks => _liveBlocks;

    /// <inheritdoc />
    public bool TryAllocate(long size, long alignment, out long offset)
    {
        if (size <= 0 || alignment <= 0 || (alignment & (alignment - 1)) != 0)
        {
            ThrowBadRequest(size, alignment);
        }

        void* pointer = NativeMemory.AlignedAlloc((nuint)size, (nuint)alignment);
        offset = (long)pointer;
        if (pointer == null)
        {
            return false;
        }

        _liveBlocks++;
        return true;
    }

    /// <inheritdoc />
    public void Free(long offset, long size, long alignment)
    {
        if (offset == 0 || _liveBlocks == 0)
        {
            throw new ArgumentException($"Offset {offset} cannot be a live allocation: it is null or nothing is live.", nameof(offset));
        }

        NativeMemory.AlignedFree((void*)offset);
        _liveBlocks--;
    }

    /// <inheritdoc />
    /// <remarks>The process allocator's heap cannot be inspected; Free already refuses to drive the live count negative.</remarks>
    public void CheckInvariants() => Debug.Assert(_liveBlocks >= 0, "Free refuses to run the live count below zero.");

    private static void ThrowBadRequest(long size, long alignment) =>
        throw new ArgumentOutOfRangeException(nameof(size),
            $"Size must be positive ({size}) and alignment a positive power of two ({alignment}).");
}
