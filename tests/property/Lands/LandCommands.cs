using FsCheck;
using FsCheck.Fluent;
using Veralloc.Allocators.Lands;
using Veralloc.Invariants;
using Veralloc.Tests.Property.Models;

namespace Veralloc.Tests.Property.Lands;

/// <summary>One step of a land property test. Commands are plain data, so a failing sequence shrinks and prints.</summary>
public abstract record LandCommand;

/// <summary>Insert an absolute range (valid, overlapping, misaligned, empty or out of bounds).</summary>
public sealed record InsertCommand(AddressRange Range) : LandCommand;

/// <summary>Delete an absolute range (often not contained in any stored range).</summary>
public sealed record DeleteCommand(AddressRange Range) : LandCommand;

/// <summary>
/// Delete a sub-range of the stored range at position <c>Pick % count</c>, starting <c>OffsetGrains</c> grains
/// in (modulo its length) and <c>SizeGrains</c> long: usually valid, sometimes running past the range's end.
/// Interpreted against the model at run time, so it stays meaningful when shrinking drops earlier commands.
/// </summary>
public sealed record DeleteInsideCommand(int Pick, int OffsetGrains, int SizeGrains) : LandCommand;

/// <summary>Find-first, find-last or find-largest with a delete option (sometimes an invalid size or option).</summary>
public sealed record FindCommand(FindKind Kind, long Size, FindDelete Delete) : LandCommand;

/// <summary>
/// Flush into a fresh land of the other kind that first receives <c>Extra</c> (if valid there): rejected
/// (and nothing changes) when <c>Extra</c> overlaps a stored range, else everything moves and is flushed back.
/// </summary>
public sealed record FlushCommand(AddressRange? Extra) : LandCommand;

/// <summary>Iterate with a visitor that stops after <c>Limit</c> ranges.</summary>
public sealed record IterateCommand(int Limit) : LandCommand;

/// <summary>Generators and the shrinker for land command sequences.</summary>
public static class LandCommandGen
{
    /// <summary>The grain of the free-list land (one word), and the default for the tree land.</summary>
    public const long Grain = 8;

    /// <summary>The bounds every land in the suite uses: one page.</summary>
    public const long BoundBytes = 65536;

    /// <summary>The grain of the coarser tree land, so commands misaligned for it are generated too.</summary>
    public const long CoarseGrainBytes = 4 * Grain;

    private const int WindowGrains = 64;

    /// <summary>Command sequences for a land of grain <paramref name="grain"/> bounded by <see cref="BoundBytes"/>.</summary>
    public static Arbitrary<LandCommand[]> Sequences(long grain) => Arb.From(Gen.ArrayOf(Command(grain)), Shrink);

    /// <summary>Sequences at <see cref="Grain"/>, for <c>[Property(Arbitrary = ...)]</c>.</summary>
    public static class WordGrain
    {
        /// <summary>The FsCheck arbitrary the property's parameter is drawn from.</summary>
        public static Arbitrary<LandCommand[]> Commands() => Sequences(Grain);
    }

    /// <summary>Sequences at <see cref="CoarseGrainBytes"/>, for <c>[Property(Arbitrary = ...)]</c>.</summary>
    public static class CoarseGrain
    {
        /// <summary>The FsCheck arbitrary the property's parameter is drawn from.</summary>
        public static Arbitrary<LandCommand[]> Commands() => Sequences(CoarseGrainBytes);
    }

    /// <summary>Removes chunks (halves, quarters, ... single commands): every candidate is still a valid sequence.</summary>
    public static IEnumerable<LandCommand[]> Shrink(LandCommand[] commands)
    {
        for (int chunk = commands.Length / 2; chunk >= 1; chunk /= 2)
        {
            for (int start = 0; start + chunk <= commands.Length; start += chunk)
            {
                yield return [.. commands[..start], .. commands[(start + chunk)..]];
            }
        }
    }

    private static Gen<LandCommand> Command(long grain) => Gen.Frequency(
        (6, AnyRange(grain).Select(range => (LandCommand)new InsertCommand(range))),
        (4, from pick in Gen.Choose(0, 1000)
            from offset in Gen.Choose(0, 16)
            from size in Gen.Frequency((3, Gen.Choose(1, 2)), (1, Gen.Choose(3, 8)))
            select (LandCommand)new DeleteInsideCommand(pick, offset, size)),
        (1, AnyRange(grain).Select(range => (LandCommand)new DeleteCommand(range))),
        (4, from kind in Gen.Elements(FindKind.First, FindKind.Last, FindKind.Largest)
            from size in FindSize(grain)
            from delete in FindDeleteOption()
            select (LandCommand)new FindCommand(kind, size, delete)),
        (1, Gen.Frequency(
                (3, GoodRange(grain).Select(range => (AddressRange?)range)),
                (1, Gen.Constant((AddressRange?)null)))
            .Select(extra => (LandCommand)new FlushCommand(extra))),
        (1, Gen.Choose(1, 6).Select(limit => (LandCommand)new IterateCommand(limit))));

    private static Gen<AddressRange> AnyRange(long grain) => Gen.Frequency((12, GoodRange(grain)), (2, OddRange(grain)));

    /// <summary>Valid ranges in a small window, so inserts often touch or overlap each other.</summary>
    private static Gen<AddressRange> GoodRange(long grain) =>
        from start in Gen.Choose(0, WindowGrains)
        from size in Gen.Choose(1, 8)
        select new AddressRange(start * grain, size * grain);

    /// <summary>Empty, negative, misaligned, past-the-end and overflowing ranges, plus valid ones at the very end.</summary>
    private static Gen<AddressRange> OddRange(long grain) => Gen.OneOf(
        from start in Gen.Choose(-3, WindowGrains)
        from size in Gen.Choose(-2, 0)
        select new AddressRange(start * grain, size * grain),
        from start in Gen.Choose(0, WindowGrains)
        from size in Gen.Choose(1, 4)
        from skew in Gen.Choose(1, (int)grain - 1)
        from skewStart in Gen.Elements(true, false)
        select skewStart
            ? new AddressRange((start * grain) + skew, size * grain)
            : new AddressRange(start * grain, (size * grain) + skew),
        from start in Gen.Choose((int)(BoundBytes / grain) - 12, (int)(BoundBytes / grain) + 2)
        from size in Gen.Choose(1, 16)
        select new AddressRange(start * grain, size * grain),
        from start in Gen.Choose(-4, -1)
        select new AddressRange(start * grain, 2 * grain),
        Gen.Constant(new AddressRange(long.MaxValue & ~(grain - 1), grain)));

    private static Gen<long> FindSize(long grain) => Gen.Frequency(
        (12, Gen.Choose(1, 10).Select(grains => grains * grain)),
        (1, Gen.Elements(0L, -grain, grain / 2, (3 * grain) + 1)));

    private static Gen<FindDelete> FindDeleteOption() => Gen.Frequency(
        (12, Gen.Elements(FindDelete.None, FindDelete.Low, FindDelete.High, FindDelete.Entire)),
        (1, Gen.Constant((FindDelete)4)));
}
