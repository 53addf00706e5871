using Veralloc.Tests.Property.FreeList;
using Veralloc.Tests.Property.Slots;
using Xunit.Abstractions;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// Code → model (trace validation): scenarios from property-test generators (fixed seeds) run on the C# allocators,
/// each step is recorded in the model's terms, and the trace becomes a Promela driver in which the model performs the
/// same operations and must return the same results and reach the same states; SPIN runs it, so a C# behaviour the model
/// forbids fails with the step and the broken expectation (docs/design-notes/0033).
/// </summary>
public sealed class CodeToModelTests
{
    internal const int FreeListSeed = 20331;
    internal const int SlotSeed = 40177;
    internal const int Count = 16;

    private readonly ITestOutputHelper _output;

    public CodeToModelTests(ITestOutputHelper output) => _output = output;

    internal static IReadOnlyList<Scenario> FreeListScenarios { get; } = ConformanceScenarios.FreeList(Count, FreeListSeed);

    internal static IReadOnlyList<SlotScenario> SlotScenarios { get; } = ConformanceScenarios.Slots(Count, SlotSeed);

    [SpinFact]
    public void FreeListTracesOfTheCodeAreAcceptedByTheModel()
    {
        var totals = new FreeListModelProperties.Totals();
        foreach (Scenario scenario in FreeListScenarios)
        {
            // The same scenario through the C# reference-model property, so these sequences are property-test sequences.
            FreeListModelProperties.Run(scenario, totals);
        }

        var checks = Enumerable.Range(0, Count).AsParallel().AsOrdered().Select(i => CheckFreeList(AllocatorBuild.Shipped, i)).ToArray();
        AssertAgreed(checks.Select(c => c.Verdict), FreeListScenarios.Select(s => s.ToString()));

        FreeListStep[] steps = checks.SelectMany(c => c.Steps).ToArray();
        _output.WriteLine($"{steps.Length} C# steps accepted by the model; {totals}");
        Assert.True(steps.Count(s => s.Op is FreeListOp.Alloc { Offset: null }) >= 5, "too few failed allocations: the generator no longer fills the heap");
        Assert.True(steps.Count(s => s.Op is FreeListOp.Free) >= 50, "too few frees");
        Assert.True(checks.Count(c => c.Steps[^1].State.Pages > 1) >= 5, "too few traces grow past one page");
    }

    [SpinFact]
    public void SlotTracesOfTheCodeAreAcceptedByTheModel()
    {
        foreach (SlotScenario scenario in SlotScenarios)
        {
            Assert.True(SlotModelProperties.Run(scenario));
        }

        var checks = Enumerable.Range(0, Count).AsParallel().AsOrdered().Select(i => CheckSlots(AllocatorBuild.Shipped, i)).ToArray();
        AssertAgreed(checks.Select(c => c.Verdict), SlotScenarios.Select(s => s.ToString()));

        PoolStep[] steps = checks.SelectMany(c => c.Steps).ToArray();
        _output.WriteLine($"{steps.Length} C# steps accepted by the model");
        Assert.True(steps.Count(s => s.Op is PoolOp.Alloc { Slot: null }) >= 5, "too few allocations from a full pool");
        Assert.True(steps.Count(s => s.Op is PoolOp.Alloc { Affine: false, Key: > 0, Slot: int slot } a && s.State.Slots[slot].Key == a.Key) >= 20, "too few keyed allocations");
        Assert.True(steps.Count(s => s.Op is PoolOp.Free { Rejected: "not-used" }) >= 3, "too few refused double frees");
    }

    /// <summary>Runs free-list scenario <paramref name="index"/> on <paramref name="build"/> and has SPIN check its trace.</summary>
    internal static (ModelVerdict Verdict, IReadOnlyList<FreeListStep> Steps) CheckFreeList(AllocatorBuild build, int index)
    {
        Scenario scenario = FreeListScenarios[index];
        IReadOnlyList<FreeListStep> steps = Conformance.RecordFreeList(build, scenario);
        string driver = PromelaDriver.FreeList($"C# free-list scenario {index} (seed {FreeListSeed}) on {build.Description}", scenario.MaxPages, steps);
        return (PromelaDriver.Check("freelist", driver, $"freelist-{index}", step => steps[step].Op.ToString()), steps);
    }

    /// <summary>Runs slot scenario <paramref name="index"/> on <paramref name="build"/> and has SPIN check its trace.</summary>
    internal static (ModelVerdict Verdict, IReadOnlyList<PoolStep> Steps) CheckSlots(AllocatorBuild build, int index)
    {
        SlotScenario scenario = SlotScenarios[index];
        IReadOnlyList<PoolStep> steps = Conformance.RecordSlots(build, scenario);
        string driver = PromelaDriver.Slots($"C# slot scenario {index} (seed {SlotSeed}) on {build.Description}",
            scenario.Capacity, scenario.KeyCount, scenario.Threshold, workers: 1, steps);
        return (PromelaDriver.Check("slots", driver, $"slots-{index}", step => steps[step].Op.ToString()), steps);
    }

    private static void AssertAgreed(IEnumerable<ModelVerdict> verdicts, IEnumerable<string> scenarios)
    {
        string[] refused = verdicts.Zip(scenarios, (verdict, scenario) => (verdict, scenario))
            .Where(v => !v.verdict.Agreed)
            .Select(v => $"{v.verdict}\n  scenario: {v.scenario}")
            .ToArray();
        Assert.True(refused.Length == 0, "the model forbids what the C# allocator did:\n" + string.Join("\n", refused));
    }
}
