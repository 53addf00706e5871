using Veralloc.Allocators.Slots;
using Veralloc.CoyoteLane;
using Veralloc.CoyoteLane.Slots;
using Veralloc.Scenarios.Slots;
using Xunit.Abstractions;

namespace Veralloc.Tests.Coyote;

/// <summary>
/// Under Coyote the lane's affine-clear-vs-free and queries-vs-mutation check their histories with the engine's
/// linearizability checker against <c>SlotModel</c>, as the engine's scenarios do: a pool whose results are wrong is
/// reported as not linearizable, with the history drawn per worker (the production allocator passing them is
/// <see cref="SlotScenarioCoyoteTests"/>).
/// </summary>
public sealed class LinearizabilityCoyoteTests(ITestOutputHelper output)
{
    [Fact]
    public void AClearThatKeepsTheKeyIsReportedAsNotLinearizable()
    {
        CoyoteBug bug = FirstBug("slots/affine-clear-vs-free", CoyoteSlotScenarios.AffineClearVsFree(Wrapped(pool => new KeyKeepingPool(pool)), releaseIsSchedulingPoint: true));

        Assert.Contains("the history of 'linearizable against the slot model' is not linearizable", bug.Report, StringComparison.Ordinal);
        Assert.Contains("[after] GetSlotState(0) -> Used m7 0 B, where the model returns Used 0 B", bug.Report, StringComparison.Ordinal);
        Assert.Contains("\n  setup    |- alloc(m7) -> slot 0 -|", bug.Report, StringComparison.Ordinal);
        Assert.Contains("\n  clearer  ", bug.Report, StringComparison.Ordinal);
    }

    [Fact]
    public void AQueryThatMisreportsIsReportedAsNotLinearizable()
    {
        CoyoteBug bug = FirstBug("slots/queries-vs-mutation", CoyoteSlotScenarios.QueriesVsMutation(Wrapped(pool => new OffByOneBytesPool(pool)), releaseIsSchedulingPoint: true));

        Assert.Contains("the history of 'linearizable against the slot model' is not linearizable", bug.Report, StringComparison.Ordinal);
        Assert.Contains("[observer] UnusedBytesResident -> 9, where the model returns", bug.Report, StringComparison.Ordinal);
        Assert.Contains("\n  mutator   ", bug.Report, StringComparison.Ordinal);
    }

    /// <summary>Explores the scenario with Coyote's random strategy; it must report a bug.</summary>
    private CoyoteBug FirstBug(string name, Func<CoyoteIteration, Task> body)
    {
        CoyoteResult result = CoyoteRunner.Run(new CoyoteOptions { Strategy = CoyoteStrategy.Random, Seed = 1, Iterations = 300, TraceDirectory = null }, new CoyoteScenario(name, "a pool that misreports", body, ExpectsBug: true));
        CoyoteBug bug = result.Bug ?? throw new Xunit.Sdk.XunitException($"{name}: not found in {result.Statistics.Iterations} iterations");
        output.WriteLine(bug.Format());
        return bug;
    }

    private static SlotPoolFactory Wrapped(Func<ISlotPool, ISlotPool> wrap) =>
        (lockSeam, capacity, threshold) => wrap(new RealSlotPool(new SlotAllocator(capacity, threshold, lockSeam)));

    /// <summary>A pool whose alloc-affine-and-clear forgets to clear when the key's slot is warm: the slot keeps its key.</summary>
    private sealed class KeyKeepingPool(ISlotPool inner) : ForwardingSlotPool(inner)
    {
        public override bool TryAllocateAffineAndClear(SlotAffinity affinity, out int slotId) =>
            Inner.GetWarmList().Length > 0 ? Inner.TryAllocate(affinity, out slotId) : Inner.TryAllocateAffineAndClear(affinity, out slotId);
    }

    /// <summary>A pool that reports one byte too many whenever some bytes are resident.</summary>
    private sealed class OffByOneBytesPool(ISlotPool inner) : ForwardingSlotPool(inner)
    {
        public override long UnusedBytesResident => Inner.UnusedBytesResident is var bytes and > 0 ? bytes + 1 : 0;
    }
}
