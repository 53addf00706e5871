using System.Diagnostics.CodeAnalysis;
using Veralloc.Invariants;

namespace Veralloc.Allocators.Lands;

/// <summary>
/// The argument rules every land shares, so both implementations reject the same inputs with the same
/// exception types and messages (the property suite compares them against one model).
/// </summary>
internal static class LandRules
{
    /// <summary>Whether <paramref name="range"/> is non-empty, grain-aligned and inside <paramref name="bounds"/>.</summary>
    public static bool IsValidRange(AddressRange range, long grainBytes, AddressRange bounds)
    {
        long mask = grainBytes - 1;
        return range.Size > 0
            && ((range.Start | range.Size) & mask) == 0
            && IsInside(range, bounds);
    }

    /// <summary>Throws unless <paramref name="range"/> is non-empty, grain-aligned and inside <paramref name="bounds"/>.</summary>
    public static void ValidateRange(AddressRange range, long grainBytes, AddressRange bounds, string paramName)
    {
        if (range.Size <= 0)
        {
            ThrowEmpty(range, grainBytes, paramName);
        }

        long mask = grainBytes - 1;
        if (((range.Start | range.Size) & mask) != 0)
        {
            ThrowMisaligned(range, grainBytes, paramName);
        }

        if (!IsInside(range, bounds))
        {
            ThrowOutside(range, bounds, paramName);
        }
    }

    /// <summary>Throws unless <paramref name="size"/> is a positive multiple of the grain and <paramref name="delete"/> is defined.</summary>
    public static void ValidateFind(long size, FindDelete delete, long grainBytes)
    {
        if (size <= 0 || (size & (grainBytes - 1)) != 0)
        {
            ThrowBadFindSize(size, grainBytes);
        }

        if ((uint)delete > (uint)FindDelete.Entire)
        {
            ThrowBadDelete(delete);
        }
    }

    /// <summary>The part of <paramref name="found"/> that <paramref name="delete"/> removes for a request of <paramref name="size"/>.</summary>
    public static AddressRange DeletedPart(AddressRange found, long size, FindDelete delete) => delete switch
    {
        FindDelete.Low => new AddressRange(found.Start, size),
        FindDelete.High => new AddressRange(found.End - size, size),
        FindDelete.Entire => found,
        _ => default,
    };

    /// <summary>Whether <paramref name="size"/> is a positive power of two.</summary>
    public static bool IsValidGrain(long size) => size > 0 && (size & (size - 1)) == 0;

    // Compare the size against the room left so a huge size cannot overflow End.
    private static bool IsInside(AddressRange range, AddressRange bounds) =>
        range.Start >= bounds.Start && range.Start <= bounds.End && range.Size <= bounds.End - range.Start;

    [DoesNotReturn]
    public static void ThrowOverlap(AddressRange range, AddressRange stored, string paramName) =>
        throw new ArgumentException(
            $"The range {range} overlaps the stored range {stored}; a land range may be inserted only where nothing is stored.", paramName);

    [DoesNotReturn]
    public static void ThrowNotContained(AddressRange range, string paramName) =>
        throw new ArgumentException(
            $"The range {range} does not lie wholly inside one stored range; only stored bytes can be deleted.", paramName);

    [DoesNotReturn]
    private static void ThrowEmpty(AddressRange range, long grainBytes, string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, range,
            $"The range has size {range.Size}; a land range must hold at least one grain ({grainBytes} bytes).");

    [DoesNotReturn]
    private static void ThrowMisaligned(AddressRange range, long grainBytes, string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, range,
            $"The range starts at 0x{range.Start:x} with size {range.Size}; both must be multiples of the grain ({grainBytes} bytes).");

    [DoesNotReturn]
    private static void ThrowOutside(AddressRange range, AddressRange bounds, string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, range,
            $"The range starts at 0x{range.Start:x} with size {range.Size}; it must lie inside the land's bounds {bounds}.");

    [DoesNotReturn]
    private static void ThrowBadFindSize(long size, long grainBytes) =>
        throw new ArgumentOutOfRangeException(nameof(size), size,
            $"A find size must be a positive multiple of the grain ({grainBytes} bytes).");

    [DoesNotReturn]
    private static void ThrowBadDelete(FindDelete delete) =>
        throw new ArgumentOutOfRangeException(nameof(delete), delete,
            $"The delete option must be one of None, Low, High, Entire.");
}
