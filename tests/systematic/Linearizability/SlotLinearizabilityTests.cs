using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;
using Veralloc.Scenarios;
using Veralloc.Scenarios.Mutants;
using Veralloc.Scenarios.Slots;
using Veralloc.Systematic;
using Veralloc.Systematic.Linearizability;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Linearizability;

/// <summary>
/// The slot allocator against its sequential model: every gallery mutant, on the shape where only results are
/// checked, is reported as not linearizable with the history drawn per worker; the faithful copy and the real
/// allocator pass the same shape (DFS exhausts); the two scenarios that used to list their outcomes by hand now check
/// their histories, and catch a pool whose results are wrong.
/// </summary>
public sealed class SlotLinearizabilityTests(ITestOutputHelper output)
{
    private const int Budget = 10_000;

    public static TheoryData<string, StrategyKind> MutantHistoriesByStrategy
    {
        get
        {
            var data = new TheoryData<string, StrategyKind>();
            foreach (var scenario in ScenarioCatalog.Histories.Where(scenario => scenario.ExpectsBug))
            {
                data.Add(scenario.Name, StrategyKind.Dfs);
                data.Add(scenario.Name, StrategyKind.Pct);
                data.Add(scenario.Name, StrategyKind.Random);
            }

            return data;
        }
    }

    public static TheoryData<string> PassingHistories => [.. ScenarioCatalog.Histories.Where(scenario => !scenario.ExpectsBug).Select(scenario => scenario.Name)];

    [Fact]
    public void EveryMutantHasAHistoryScenario()
    {
        var mutants = ScenarioCatalog.Histories.Where(scenario => scenario.ExpectsBug).Select(scenario => scenario.Name).ToList();

        Assert.Equal(ScenarioCatalog.Mutants.Select(mutant => mutant.Name + "/history"), mutants);
        Assert.Equal(Enum.GetValues<SlotMutation>().Length - 1, mutants.Count);
        Assert.All(ScenarioCatalog.Histories, scenario => Assert.Same(scenario, ScenarioCatalog.Find(scenario.Name)));
    }

    [Theory]
    [MemberData(nameof(MutantHistoriesByStrategy))]
    public void TheMutantIsReportedNotLinearizableWithTheHistoryPerWorker(string name, StrategyKind strategy)
    {
        var scenario = ScenarioCatalog.Find(name)!;
        var options = new TestOptions { Strategy = strategy, Seed = 1, Iterations = Budget, PreemptionBound = 2, ScenarioName = name, TraceDirectory = null };

        var result = SystematicTest.Run(options, scenario.Build);
        output.WriteLine($"{name} under {strategy}: {result.Statistics}");

        var bug = Assert.IsType<BugReport>(result.Bug);
        output.WriteLine(bug.Format(maxSteps: 40));
        Assert.Equal(BugKind.NotLinearizable, bug.Kind);
        Assert.StartsWith("the history of 'linearizable against the slot model' is not linearizable", bug.Message, StringComparison.Ordinal);
        Assert.Contains("\n  worker0  ", bug.Message, StringComparison.Ordinal);
        Assert.Contains("|- alloc(m1) -> ", bug.Message, StringComparison.Ordinal);
        Assert.Contains("\n  worker1  ", bug.Message, StringComparison.Ordinal);
        Assert.Contains("\n  after    ", bug.Message, StringComparison.Ordinal);

        var replayed = SystematicTest.Replay(ScheduleTrace.Parse(bug.Trace.ToText()), scenario.Build);
        var again = Assert.IsType<BugReport>(replayed.Bug);
        Assert.Equal(bug.Kind, again.Kind);
        Assert.Equal(bug.Message, again.Message);
    }

    [Theory]
    [MemberData(nameof(PassingHistories))]
    public void TheFaithfulCopyAndTheRealAllocatorAreLinearizableInEverySchedule(string name)
    {
        var scenario = ScenarioCatalog.Find(name)!;

        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = 2, Iterations = 20_000, ScenarioName = name, TraceDirectory = null }, scenario.Build);
        output.WriteLine($"{name}: {result.Statistics}");

        result.ThrowIfBugFound();
        Assert.True(result.Statistics.SpaceExhausted, $"{name}: DFS did not exhaust within 20,000 schedules");
    }

    [Fact]
    public void TheRealAllocatorIsLinearizableWithoutAPreemptionBound()
    {
        var scenario = ScenarioCatalog.Find("slots/same-key-history")!;

        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 50_000, TraceDirectory = null }, scenario.Build);
        output.WriteLine(result.Statistics.ToString());

        result.ThrowIfBugFound();
        Assert.True(result.Statistics.SpaceExhausted, result.Statistics.ToString());
    }

    [Fact]
    public void AffineClearVsFreeCatchesAClearThatKeepsTheKey()
    {
        // The outcome the scenario used to list by hand: a slot taken by alloc-affine-and-clear has no key afterwards.
        var bug = NotLinearizableBug(SlotScenarios.AffineClearVsFree(Wrapped(pool => new KeyKeepingPool(pool))));

        Assert.Contains("[after] GetSlotState(0) -> Used m7 0 B, where the model returns Used 0 B", bug.Message, StringComparison.Ordinal);
        Assert.Contains("\n  setup    |- alloc(m7) -> slot 0 -|", bug.Message, StringComparison.Ordinal);
        Assert.Contains("\n  clearer  ", bug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QueriesVsMutationCatchesAQueryThatMisreports()
    {
        var bug = NotLinearizableBug(SlotScenarios.QueriesVsMutation(Wrapped(pool => new OffByOneBytesPool(pool))));

        Assert.Contains("[observer] UnusedBytesResident -> 9, where the model returns", bug.Message, StringComparison.Ordinal);
        Assert.Contains("\n  mutator   ", bug.Message, StringComparison.Ordinal);
        Assert.Contains("|- alloc(m1) -> slot 0 -|", bug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSequentialModelRejectsTwoAllocsHandedTheSameSlot()
    {
        var model = new SlotSequentialModel(2, 0);
        var same = new History<SlotOperation, SlotResult>();
        var a = same.Invoke("t0", SlotOperation.Allocate(null));
        var b = same.Invoke("t1", SlotOperation.Allocate(null));
        same.Respond(a, SlotResult.Slot(0));
        same.Respond(b, SlotResult.Slot(0));
        var distinct = new History<SlotOperation, SlotResult>();
        var c = distinct.Invoke("t0", SlotOperation.Allocate(null));
        var d = distinct.Invoke("t1", SlotOperation.Allocate(null));
        distinct.Respond(d, SlotResult.Slot(0));
        distinct.Respond(c, SlotResult.Slot(1));

        Assert.False(LinearizabilityChecker.Check(model, same).IsLinearizable);
        var verdict = LinearizabilityChecker.Check(model, distinct);
        Assert.True(verdict.IsLinearizable);
        Assert.Equal(["t1", "t0"], verdict.Order.Select(call => call.Thread));
    }

    [Fact]
    public void TheModelsStateComparerSeesOrderAndIgnoresIdentity()
    {
        var model = new SlotSequentialModel(3, 3);
        var key = new SlotAffinity(1, 0);
        SlotModel Run(params SlotOperation[] operations) => operations.Aggregate(model.InitialState, (state, operation) => model.Apply(state, operation).Next);

        var freedInOrder = Run(SlotOperation.Allocate(key), SlotOperation.Allocate(null), SlotOperation.Free(0, 1), SlotOperation.Free(1, 2));
        var sameAgain = Run(SlotOperation.Allocate(key), SlotOperation.Allocate(null), SlotOperation.Free(0, 1), SlotOperation.Free(1, 2));
        var freedReversed = Run(SlotOperation.Allocate(key), SlotOperation.Allocate(null), SlotOperation.Free(1, 2), SlotOperation.Free(0, 1));

        Assert.NotSame(freedInOrder, sameAgain);
        Assert.True(SlotModel.StateComparer.Equals(freedInOrder, sameAgain));
        Assert.Equal(SlotModel.StateComparer.GetHashCode(freedInOrder), SlotModel.StateComparer.GetHashCode(sameAgain));
        Assert.False(SlotModel.StateComparer.Equals(freedInOrder, freedReversed));
        Assert.Equal(3, model.InitialState.EmptySlotCount);
    }

    [Fact]
    public void AReportedErrorIsAResultTheModelMustAgreeWith()
    {
        var pool = new RealSlotPool(new SlotAllocator(2, 0, new ThreadingLock()));
        var model = new SlotModel(2, 0);

        Assert.Equal(SlotResult.Threw(typeof(InvalidOperationException)), SlotOperation.Free(1, 0).RunOn(pool));
        Assert.Equal(SlotOperation.Free(1, 0).RunOn(pool), SlotOperation.Free(1, 0).ApplyTo(model));
        Assert.Equal(SlotResult.Threw(typeof(ArgumentOutOfRangeException)), SlotOperation.Free(5, 0).RunOn(pool));
        Assert.Throws<InvalidOperationException>(() => SlotOperation.Free(1, 0).Invoke(pool));
    }

    /// <summary>Explores <paramref name="scenario"/> with DFS; its first bug must be <see cref="BugKind.NotLinearizable"/>.</summary>
    private BugReport NotLinearizableBug(Action<SystematicContext> scenario)
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = 2, Iterations = 1_000, TraceDirectory = null }, scenario);
        var bug = Assert.IsType<BugReport>(result.Bug);
        output.WriteLine(bug.Message);
        Assert.Equal(BugKind.NotLinearizable, bug.Kind);
        return bug;
    }

    private static SlotPoolFactory Wrapped(Func<ISlotPool, ISlotPool> wrap) =>
        (lockSeam, capacity, threshold) => wrap(SlotScenarios.Real(lockSeam, capacity, threshold));

    /// <summary>A pool whose alloc-affine-and-clear forgets to clear: the slot keeps its key.</summary>
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
