using FsCheck;
using FsCheck.Fluent;
using Veralloc.Tests.Property.FreeList;
using Veralloc.Tests.Property.Slots;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// Property-test scenarios inside the abstraction's domain (docs/design-notes/0033), sampled from fixed seeds so that
/// the exported drivers, and what they catch, are the same on every run. They use the property tests' own command
/// types, and the tests run each one through the C# reference-model property as well.
/// </summary>
internal static class ConformanceScenarios
{
    private const long Word = FreeListUnderTest.WordBytes;

    /// <summary>
    /// Free-list scenarios: checked mode, the default guard policy, a slab of 1..4 pages (the model's <c>MAXPAGES</c>
    /// range), no injected growth faults; sizes of 1..5 model NODEs (and 8, two pages) minus up to 15 bytes, so the
    /// code's rounding lands on the model's size; alignments from 1 byte to one page.
    /// </summary>
    public static IReadOnlyList<Scenario> FreeList(int count, int seed)
    {
        Gen<Command> allocate =
            from nodes in Gen.Frequency((12, Gen.Choose(1, 5)), (1, Gen.Constant(8)))
            from slack in Gen.Choose(0, 15)
            from alignment in Gen.Elements(1L, 16L, 4096L, Word, 2 * Word, 4 * Word, 8 * Word)
            select (Command)new Command.Allocate((nodes * FreeListUnderTest.ModelNodeWords * Word) - slack, alignment);
        Gen<Command> free = Gen.Choose(0, 1000).Select(index => (Command)new Command.Free(index));
        Gen<Scenario> scenarios =
            from maxPages in Gen.Choose(1, 4)
            from length in Gen.Choose(10, 50)
            from commands in Gen.Frequency((55, allocate), (45, free)).ArrayOf(length)
            select new Scenario(maxPages, Native: false, CheckedMode: true, ExactFit: false, FailingGrowthAttempt: -1, commands);
        return scenarios.Sample(20, new Rnd((ulong)seed), count);
    }

    /// <summary>
    /// Slot scenarios: capacity 1..6, any threshold, 1..3 keys; resident bytes 0 or one model unit, and, for frees of
    /// arbitrary ids, also −1 bytes; ids out of range and double frees are refused by the allocator and must change nothing.
    /// </summary>
    public static IReadOnlyList<SlotScenario> Slots(int count, int seed)
    {
        Gen<long> bytes = Gen.Elements(0L, SlotPoolUnderTest.BytesPerUnit);
        Gen<SlotScenario> scenarios =
            from capacity in Gen.Choose(1, 6)
            from threshold in Gen.Choose(0, capacity)
            from keys in Gen.Choose(1, 3)
            from length in Gen.Choose(10, 60)
            from commands in Gen.Frequency(
                (6, Gen.Choose(-1, keys - 1).Select(key => new SlotCommand(SlotOp.Alloc, key, 0, 0))),
                (1, Gen.Choose(0, keys - 1).Select(key => new SlotCommand(SlotOp.AllocAffineAndClear, key, 0, 0))),
                (5, from index in Gen.Choose(0, 1000) from b in bytes select new SlotCommand(SlotOp.FreeUsed, -1, index, b)),
                (1, from index in Gen.Choose(-2, capacity + 1) from b in Gen.Frequency((5, bytes), (1, Gen.Constant(-1L)))
                    select new SlotCommand(SlotOp.FreeAny, -1, index, b))).ArrayOf(length)
            select new SlotScenario(capacity, threshold, keys, commands);
        return scenarios.Sample(20, new Rnd((ulong)seed), count);
    }
}
