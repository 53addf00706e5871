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
        var traces = new List<(Scenario Scenario, IReadOnlyList<FreeListStep> Steps)>();
        foreach (Scenario scenario in FreeListScenarios)
        {
            // The same scenario through the C# reference-model property, so these sequences are property-test sequences.
            FreeListModelProperties.Run(scenario, totals);
            traces.Add((scenario, Conformance.RecordFreeList(AllocatorBuild.Shipped, scenario)));
        }

        ModelVerdict[] verdicts = traces.AsParallel().AsOrdered()
            .Select((trace, i) => PromelaDriver.Check("freelist", FreeListDriver(trace.Scenario, trace.Steps, i), $"code-freelist-{i}", step => trace.Steps[step].Op.ToString()))
            .ToArray();
        AssertAgreed(verdicts, traces.Select(t => t.Scenario.ToString()));

        FreeListStep[] steps = traces.SelectMany(t => t.Steps).ToArray();
        _output.WriteLine($"{steps.Length} C# steps accepted by the model; {totals}");
        Assert.True(steps.Count(s => s.Op is FreeListOp.Alloc { Offset: null }) >= 5, "too few failed allocations: the generator no longer fills the heap");
        Assert.True(steps.Count(s => s.Op is FreeListOp.Free) >= 50, "too few frees");
        Assert.True(traces.Count(t => t.Steps[^1].State.Pages > 1) >= 5, "too few traces grow past one page");
    }

    [SpinFact]
    public void SlotTracesOfTheCodeAreAcceptedByTheModel()
    {
        var traces = new List<(SlotScenario Scenario, IReadOnlyList<PoolStep> Steps)>();
        foreach (SlotScenario scenario in SlotScenarios)
        {
            Assert.True(SlotModelProperties.Run(scenario));
            traces.Add((scenario, Conformance.RecordSlots(AllocatorBuild.Shipped, scenario)));
        }

        ModelVerdict[] verdicts = traces.AsParallel().AsOrdered()
            .Select((trace, i) => PromelaDriver.Check("slots", SlotDriver(trace.Scenario, trace.Steps, i), $"code-slots-{i}", step => trace.Steps[step].Op.ToString()))
            .ToArray();
        AssertAgreed(verdicts, traces.Select(t => t.Scenario.ToString()));

        PoolStep[] steps = traces.SelectMany(t => t.Steps).ToArray();
        _output.WriteLine($"{steps.Length} C# steps accepted by the model");
        Assert.True(steps.Count(s => s.Op is PoolOp.Alloc { Slot: null }) >= 5, "too few allocations from a full pool");
        Assert.True(steps.Count(s => s.Op is PoolOp.Alloc { Affine: false, Key: > 0, Slot: not null } a && s.State.Slots[a.Slot!.Value].Key == a.Key) >= 20, "too few keyed allocations");
        Assert.True(steps.Count(s => s.Op is PoolOp.Free { Rejected: "not-used" }) >= 3, "too few refused double frees");
    }

    internal static string FreeListDriver(Scenario scenario, IReadOnlyList<FreeListStep> steps, int index) =>
        PromelaDriver.FreeList($"C# free-list scenario {index} (seed {FreeListSeed})", scenario.MaxPages, steps);

    internal static string SlotDriver(SlotScenario scenario, IReadOnlyList<PoolStep> steps, int index) =>
        PromelaDriver.Slots($"C# slot scenario {index} (seed {SlotSeed})", scenario.Capacity, scenario.KeyCount, scenario.Threshold, workers: 1, steps);

    private static void AssertAgreed(ModelVerdict[] verdicts, IEnumerable<string> scenarios)
    {
        string[] refused = verdicts.Zip(scenarios, (verdict, scenario) => (verdict, scenario))
            .Where(v => !v.verdict.Agreed)
            .Select(v => $"{v.verdict}\n  scenario: {v.scenario}")
            .ToArray();
        Assert.True(refused.Length == 0, "the model forbids what the C# allocator did:\n" + string.Join("\n", refused));
    }
}
