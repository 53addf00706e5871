using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.Lands;

/// <summary>A land under test plus, for the free-list land, the memory that holds its list.</summary>
public sealed class LandFixture
{
    public const long Grain = 8;
    public const long BoundBytes = LinearMemory.PageBytes;

    private LandFixture(string kind, ILand land, SlabLinearMemory? memory)
    {
        Kind = kind;
        Land = land;
        Memory = memory;
    }

    public static TheoryData<string> Kinds => new() { nameof(FreeListLand), nameof(TreeLand) };

    public string Kind { get; }

    public ILand Land { get; }

    public SlabLinearMemory? Memory { get; }

    public static LandFixture Create(string kind)
    {
        if (kind == nameof(FreeListLand))
        {
            var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
            return new LandFixture(kind, new FreeListLand(memory), memory);
        }

        return new LandFixture(kind, new TreeLand(Grain, new AddressRange(0, BoundBytes)), memory: null);
    }

    /// <summary>A fixture holding <c>[0x10, 0x30)</c>, <c>[0x40, 0x48)</c> (one grain) and <c>[0x80, 0xc0)</c>.</summary>
    public static LandFixture CreatePopulated(string kind)
    {
        LandFixture fixture = Create(kind);
        fixture.Land.Insert(new AddressRange(0x10, 0x20));
        fixture.Land.Insert(new AddressRange(0x40, 0x8));
        fixture.Land.Insert(new AddressRange(0x80, 0x40));
        fixture.Land.CheckInvariants();
        return fixture;
    }

    public Snapshot Take() => new(
        Land.ToRangeList(),
        Land.TotalSize,
        Land.RangeCount,
        Memory?.GetSpan(0, checked((int)Memory.SizeBytes)).ToArray() ?? []);

    /// <summary>Asserts the land (and its memory, byte for byte) is exactly as in <paramref name="before"/> and still valid.</summary>
    public void AssertUnchanged(Snapshot before)
    {
        Land.CheckInvariants();
        Snapshot after = Take();
        Assert.Equal(before.Ranges, after.Ranges);
        Assert.Equal(before.TotalSize, after.TotalSize);
        Assert.Equal(before.RangeCount, after.RangeCount);
        Assert.True(before.MemoryBytes.AsSpan().SequenceEqual(after.MemoryBytes), "the land's memory changed");
    }

    public sealed record Snapshot(List<AddressRange> Ranges, long TotalSize, int RangeCount, byte[] MemoryBytes);
}
