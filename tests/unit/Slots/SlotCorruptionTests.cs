using Veralloc.Allocators.Slots;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;
using Veralloc.Tests.Unit.Spec;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>
/// Each test breaks one field through an internal hook and asserts that <see cref="SlotAllocator.CheckInvariants"/>
/// reports exactly the SLOT-* id that names the damage.
/// </summary>
public sealed class SlotCorruptionTests
{
    private static readonly SlotAffinity K1 = new(1, 0);
    private static readonly SlotAffinity K2 = new(2, 0);
    private static readonly SlotAffinity K3 = new(3, 0);

    /// <summary>
    /// Capacity 8, lastCold 5: slot 4 Used(K1); warm list [0, 1, 2, 3] with 100..400 bytes;
    /// affine K1 = [0, 1], K2 = [2]; slot 3 has no key; slots 5..7 cold.
    /// </summary>
    private static SlotAllocator HealthyPool()
    {
        var pool = new SlotAllocator(8, 8);
        SlotAffinity?[] keys = [K1, K1, K2, null, K1];
        foreach (var key in keys)
        {
            SlotAllocatorExampleTests.Allocate(pool, key);
        }

        for (int slot = 0; slot < 4; slot++)
        {
            pool.Free(slot, (slot + 1) * 100);
        }

        pool.CheckInvariants();
        Assert.Equal([0, 1, 2, 3], pool.GetWarmList());
        Assert.Equal([0, 1], pool.GetAffineList(K1));
        Assert.Equal([2], pool.GetAffineList(K2));
        return pool;
    }

    /// <summary>
    /// The whole message, not only the id: it is what an operator reads to find the damage, so it must name the
    /// offending slot or list and the values that disagree.
    /// </summary>
    private static void AssertReports(string invariantId, SlotAllocator pool, string message)
    {
        var error = InvariantAssert.Violates(invariantId, pool.CheckInvariants);
        Assert.Equal(message, error.Message);
    }

    private static string ExclusiveMessage(int slot) =>
        $"SLOT-EXCLUSIVE at slot {slot}: the slot was chosen for allocation while it is still Used: it would be handed out twice";

    [Fact]
    public void HealthyPoolPassesEveryCheck() => HealthyPool().CheckInvariants();

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Links)]
    public void LinksViolationIsReportedForTheWarmList()
    {
        var pool = HealthyPool();
        pool.CorruptWarmLinksForTest(3, prev: 2, next: 0); // the tail points back to the head: a cycle
        AssertReports(SlotInvariantIds.Links, pool, "SLOT-LINKS at warm list tail 3: next of the tail must be none but is 0");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Links)]
    public void LinksViolationIsReportedForAnAffineList()
    {
        var pool = HealthyPool();
        pool.CorruptAffineLinksForTest(1, prev: 5, next: -1); // next[0] = 1 but prev[1] = 5
        AssertReports(SlotInvariantIds.Links, pool, "SLOT-LINKS at affine list of (module 1, memory 0) element 1: next[0] = 1 but prev[1] = 5; they must agree");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Warm)]
    public void WarmViolationIsReportedForAMiscountedWarmList()
    {
        var pool = HealthyPool();
        pool.CorruptCountersForTest(unusedWarm: 5);
        AssertReports(SlotInvariantIds.Warm, pool, "SLOT-WARM at unusedWarm: the counter is 5 but the warm list holds 4 slots");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Warm)]
    public void WarmViolationIsReportedForAWarmSlotMissingFromTheList()
    {
        var pool = HealthyPool();
        pool.CorruptSlotForTest(4, SlotKind.UnusedWarm, null, 0);
        AssertReports(SlotInvariantIds.Warm, pool, "SLOT-WARM at slot 4: the id belongs on the warm list but is missing from it");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Affine)]
    public void AffineViolationIsReportedForASlotOnTheWrongKeysList()
    {
        var pool = HealthyPool();
        pool.CorruptSlotForTest(0, SlotKind.UnusedWarm, K2, 100);
        AssertReports(SlotInvariantIds.Affine, pool, "SLOT-AFFINE at slot 0: the slot remembers (module 2, memory 0) but is on the affine list of (module 1, memory 0)");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Affine)]
    public void AffineViolationIsReportedForAKeyedWarmSlotOnNoList()
    {
        var pool = HealthyPool();
        pool.CorruptSlotForTest(3, SlotKind.UnusedWarm, K2, 400);
        AssertReports(SlotInvariantIds.Affine, pool, "SLOT-AFFINE at slot 3: the slot is UnusedWarm with key (module 2, memory 0) but is missing from the affine list of (module 2, memory 0)");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Affine)]
    public void AffineViolationIsReportedForAnEmptyListLeftInTheMap()
    {
        var pool = HealthyPool();
        pool.CorruptAffineListForTest(K3, head: -1, tail: -1);
        AssertReports(SlotInvariantIds.Affine, pool, "SLOT-AFFINE at affine list of (module 3, memory 0): the list is empty but its key is still in the map (a key whose list empties must be removed)");
    }

    /// <summary>
    /// With two affine lists damaged at once, the report names the lower key's list whichever key the pool met
    /// first: the same damage gives the same report, so a failure replayed from a trace or minimised to a shorter
    /// one is recognised as the same failure.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [TriggersInvariant(SlotInvariantIds.Affine)]
    public void TheFirstDamagedAffineListReportedIsTheLowestKeysWhateverTheOrderTheKeysArrived(bool higherKeyFirst)
    {
        var pool = new SlotAllocator(4, 4);
        int higherKeySlot = SlotAllocatorExampleTests.Allocate(pool, K2);
        int lowerKeySlot = SlotAllocatorExampleTests.Allocate(pool, K1);
        int[] freeOrder = higherKeyFirst ? [higherKeySlot, lowerKeySlot] : [lowerKeySlot, higherKeySlot];
        foreach (int slot in freeOrder)
        {
            pool.Free(slot, 0);
        }

        pool.CheckInvariants();
        pool.CorruptAffineListForTest(K2, head: -1, tail: -1);
        pool.CorruptAffineListForTest(K1, head: -1, tail: -1);
        AssertReports(SlotInvariantIds.Affine, pool,
            "SLOT-AFFINE at affine list of (module 1, memory 0): the list is empty but its key is still in the map (a key whose list empties must be removed)");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Affine)]
    public void AffineViolationIsReportedForAUsedSlotLeftOnAnAffineList()
    {
        var pool = HealthyPool();
        // Slot 4 is Used(K1) and off the warm list, but K1's list now runs 0 -> 1 -> 4: the next K1 allocation
        // would hand it out a second time.
        pool.CorruptAffineLinksForTest(1, prev: 0, next: 4);
        pool.CorruptAffineLinksForTest(4, prev: 1, next: -1);
        pool.CorruptAffineListForTest(K1, head: 0, tail: 4);
        AssertReports(SlotInvariantIds.Affine, pool,
            "SLOT-AFFINE at slot 4: the slot is Used but is on the affine list of (module 1, memory 0): only UnusedWarm slots may be");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Bytes)]
    public void BytesViolationIsReportedForResidentBytesOnAUsedSlot()
    {
        var pool = HealthyPool();
        pool.CorruptSlotForTest(4, SlotKind.Used, K1, 50);
        AssertReports(SlotInvariantIds.Bytes, pool,
            "SLOT-BYTES at slot 4: the slot is Used but records 50 resident bytes; only UnusedWarm slots record any");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Bytes)]
    public void BytesViolationIsReportedForAWrongTotal()
    {
        var pool = HealthyPool();
        pool.CorruptCountersForTest(unusedBytesResident: 1001);
        AssertReports(SlotInvariantIds.Bytes, pool, "SLOT-BYTES at unusedBytesResident: the counter is 1001 but the UnusedWarm slots hold 1000 bytes");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Bytes)]
    public void BytesViolationIsReportedForANegativeSlotCount()
    {
        var pool = HealthyPool();
        pool.CorruptSlotForTest(0, SlotKind.UnusedWarm, K1, -100);
        AssertReports(SlotInvariantIds.Bytes, pool, "SLOT-BYTES at slot 0: the resident byte count is -100; it must be >= 0");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Cold)]
    public void ColdViolationIsReportedForLastColdPastCapacity()
    {
        var pool = HealthyPool();
        pool.CorruptCountersForTest(lastCold: 9);
        AssertReports(SlotInvariantIds.Cold, pool, "SLOT-COLD at lastCold: lastCold is 9; it must lie in 0..8");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Cold)]
    public void ColdViolationIsReportedForAUsedSlotAboveLastCold()
    {
        var pool = HealthyPool();
        pool.CorruptSlotForTest(6, SlotKind.Used, null, 0);
        AssertReports(SlotInvariantIds.Cold, pool, "SLOT-COLD at slot 6: the slot is Used but lastCold is 5: slots >= lastCold must be UnusedCold and slots below it must not");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Exclusive)]
    public void ExclusiveViolationIsReportedWhenAnAffineTailIsStillUsed()
    {
        var pool = HealthyPool();
        pool.CorruptSlotForTest(1, SlotKind.Used, K1, 0); // the tail of K1's list, marked Used behind the lists' back
        string before = SlotSnapshot.Take(pool);
        var error = InvariantAssert.Violates(SlotInvariantIds.Exclusive, () => pool.TryAllocate(K1, out _));
        Assert.Equal(ExclusiveMessage(1), error.Message);
        Assert.Equal(before, SlotSnapshot.Take(pool));
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Exclusive)]
    public void ExclusiveViolationIsReportedWhenTheWarmHeadIsStillUsed()
    {
        var pool = new SlotAllocator(2, 0);
        SlotAllocatorExampleTests.Allocate(pool, K1);
        pool.Free(0, 1);
        pool.CorruptSlotForTest(0, SlotKind.Used, K1, 0);
        var error = InvariantAssert.Violates(SlotInvariantIds.Exclusive, () => pool.TryAllocate(null, out _));
        Assert.Equal(ExclusiveMessage(0), error.Message);
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Exclusive)]
    [TriggersInvariant(SlotInvariantIds.Cold)]
    public void ExclusiveViolationIsReportedWhenTheNextColdSlotIsStillUsed()
    {
        var pool = HealthyPool();
        pool.CorruptSlotForTest(5, SlotKind.Used, null, 0);
        var error = InvariantAssert.Violates(SlotInvariantIds.Exclusive, () => pool.TryAllocate(K3, out _));
        Assert.Equal(ExclusiveMessage(5), error.Message);
        // The state check names the underlying damage.
        AssertReports(SlotInvariantIds.Cold, pool, "SLOT-COLD at slot 5: the slot is Used but lastCold is 5: slots >= lastCold must be UnusedCold and slots below it must not");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Conserve)]
    public void ConserveViolationIsReportedForAMiscountedUsedCounter()
    {
        var pool = HealthyPool();
        pool.CorruptCountersForTest(used: 2);
        AssertReports(SlotInvariantIds.Conserve, pool, "SLOT-CONSERVE at used: the Used counter is 2 but 1 slots are Used");
    }

    [Fact]
    [TriggersInvariant(SlotInvariantIds.Conserve)]
    public void ConserveViolationIsReportedForASlotInNoState()
    {
        var pool = HealthyPool();
        pool.CorruptSlotForTest(4, (SlotKind)7, null, 0);
        AssertReports(SlotInvariantIds.Conserve, pool, "SLOT-CONSERVE at slot 4: the state 7 is not a slot state");
    }
}
