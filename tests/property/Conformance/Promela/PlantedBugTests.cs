using Xunit.Abstractions;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// Each direction of the conformance check must catch a deliberately wrong C# allocator: the shipped source recompiled
/// with one line changed (<see cref="PlantedBug"/>; the models are not touched). Both bugs keep every C# invariant, so
/// the tests also show that it is the comparison with the model, not <c>CheckInvariants</c>, that finds them.
/// </summary>
public sealed class PlantedBugTests
{
    private readonly ITestOutputHelper _output;

    public PlantedBugTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void ReplayingTheModelsSequencesCatchesThePlantedFreeListBug()
    {
        AllocatorBuild mutant = AllocatorBuild.WithBug(PlantedBug.FreeListSkipsAWholeBlockCarve);
        ReplayDifference? caught = ModelToCodeTests.Corpus.Where(file => file.Model == "freelist")
            .SelectMany(file => file.Sequences.Select(sequence => (file, sequence)))
            .Select(run => Conformance.ReplayFreeList(mutant, run.file, run.sequence))
            .FirstOrDefault(difference => difference is not null);

        AssertCaughtByComparison(caught);
    }

    [Fact]
    public void ReplayingTheModelsSequencesCatchesThePlantedSlotBug()
    {
        AllocatorBuild mutant = AllocatorBuild.WithBug(PlantedBug.SlotsColdSlotAtTheThreshold);
        ReplayDifference? caught = ModelToCodeTests.Corpus.Where(file => file.Model == "slots")
            .SelectMany(file => file.Sequences.Select(sequence => (file, sequence)))
            .Select(run => Conformance.ReplaySlots(mutant, run.file, run.sequence))
            .FirstOrDefault(difference => difference is not null);

        AssertCaughtByComparison(caught);
    }

    [SpinFact]
    public void TheModelRejectsTheTracesOfThePlantedFreeListBug()
    {
        AllocatorBuild mutant = AllocatorBuild.WithBug(PlantedBug.FreeListSkipsAWholeBlockCarve);
        ModelVerdict? caught = CodeToModelTests.FreeListScenarios
            .Select((scenario, i) =>
            {
                IReadOnlyList<FreeListStep> steps = Conformance.RecordFreeList(mutant, scenario);
                return PromelaDriver.Check("freelist", CodeToModelTests.FreeListDriver(scenario, steps, i), $"planted-freelist-{i}", step => steps[step].Op.ToString());
            })
            .FirstOrDefault(verdict => !verdict.Agreed);

        AssertRejectedByTheModel(caught);
    }

    [SpinFact]
    public void TheModelRejectsTheTracesOfThePlantedSlotBug()
    {
        AllocatorBuild mutant = AllocatorBuild.WithBug(PlantedBug.SlotsColdSlotAtTheThreshold);
        ModelVerdict? caught = CodeToModelTests.SlotScenarios
            .Select((scenario, i) =>
            {
                IReadOnlyList<PoolStep> steps = Conformance.RecordSlots(mutant, scenario);
                return PromelaDriver.Check("slots", CodeToModelTests.SlotDriver(scenario, steps, i), $"planted-slots-{i}", step => steps[step].Op.ToString());
            })
            .FirstOrDefault(verdict => !verdict.Agreed);

        AssertRejectedByTheModel(caught);
    }

    private void AssertCaughtByComparison(ReplayDifference? caught)
    {
        Assert.NotNull(caught);
        _output.WriteLine(caught.ToString());

        // Caught by comparing with the model: the mutant's own invariant checks pass at the step where it diverges.
        Assert.Contains(caught.Kind, new[] { "result", "state" });
    }

    private void AssertRejectedByTheModel(ModelVerdict? caught)
    {
        Assert.NotNull(caught);
        _output.WriteLine(caught.ToString());

        // Rejected by an expectation that the model's result or state equals the C# one, not by the model's own invariants.
        Assert.StartsWith("MISMATCH: ", caught.Violation, StringComparison.Ordinal);
        if (caught.DriverPath is not null)
        {
            Directory.Delete(Path.GetDirectoryName(caught.DriverPath)!, recursive: true);
        }
    }
}
