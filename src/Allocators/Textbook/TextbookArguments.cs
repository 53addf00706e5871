using System.Diagnostics.CodeAnalysis;

namespace Veralloc.Allocators.Textbook;

/// <summary>Argument rules shared by the textbook allocators.</summary>
internal static class TextbookArguments
{
    public static void ValidateRequest(long size, long alignment, long maxAlignment)
    {
        if (size <= 0)
        {
            ThrowBadSize(size);
        }

        if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > maxAlignment)
        {
            ThrowBadAlignment(alignment, maxAlignment);
        }
    }

    [DoesNotReturn]
    public static void ThrowAlignmentMismatch(long offset, long alignment) =>
        throw new ArgumentException(
            $"Offset {offset} is not a multiple of alignment {alignment}, so it was not allocated with that alignment.", nameof(alignment));

    [DoesNotReturn]
    public static void ThrowNotAllocated(long offset) =>
        throw new ArgumentException($"Offset {offset} is not the start of a live allocation (never allocated, or already freed).", nameof(offset));

    [DoesNotReturn]
    private static void ThrowBadSize(long size) =>
        throw new ArgumentOutOfRangeException(nameof(size), size, $"The size is {size}; it must be positive.");

    [DoesNotReturn]
    private static void ThrowBadAlignment(long alignment, long maxAlignment) =>
        throw new ArgumentOutOfRangeException(nameof(alignment), alignment,
            $"The alignment is {alignment}; it must be a power of two between 1 and {maxAlignment}.");
}
