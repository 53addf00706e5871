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
    public void ReplayingTheModelsSequencesCatchesThePlantedFreeListBug() =>
        AssertCaughtByReplay("freelist", Conformance.ReplayFreeList, AllocatorBuild.WithBug(PlantedBug.FreeListSkipsAWholeBlockCarve));

    [Fact]
    public void ReplayingTheModelsSequencesCatchesThePlantedSlotBug() =>
        AssertCaughtByReplay("slots", Conformance.ReplaySlots, AllocatorBuild.WithBug(PlantedBug.SlotsColdSlotAtTheThreshold));

    [SpinFact]
    public void TheModelRejectsTheTracesOfThePlantedFreeListBug()
    {
        AllocatorBuild mutant = AllocatorBuild.WithBug(PlantedBug.FreeListSkipsAWholeBlockCarve);
        AssertRejectedByTheModel(Enumerable.Range(0, CodeToModelTests.Count).Select(i => CodeToModelTests.CheckFreeList(mutant, i).Verdict));
    }

    [SpinFact]
    public void TheModelRejectsTheTracesOfThePlantedSlotBug()
    {
        AllocatorBuild mutant = AllocatorBuild.WithBug(PlantedBug.SlotsColdSlotAtTheThreshold);
        AssertRejectedByTheModel(Enumerable.Range(0, CodeToModelTests.Count).Select(i => CodeToModelTests.CheckSlots(mutant, i).Verdict));
    }

    private void AssertCaughtByReplay(string model, Func<AllocatorBuild, CorpusFile, CorpusSequence, ReplayDifference?> replay, AllocatorBuild mutant)
    {
        ReplayDifference? caught = ModelToCodeTests.Corpus.Where(file => file.Model == model)
            .SelectMany(file => file.Sequences.Select(sequence => (file, sequence)))
            .Select(run => replay(mutant, run.file, run.sequence))
            .FirstOrDefault(difference => difference is not null);

        Assert.NotNull(caught);
        _output.WriteLine(caught.ToString());

        // Caught by comparing with the model: the mutant's own invariant checks pass at the step where it diverges.
        Assert.Contains(caught.Kind, new[] { "result", "state" });
    }

    /// <summary>The mutant's scenarios are checked one by one until the model rejects one.</summary>
    private void AssertRejectedByTheModel(IEnumerable<ModelVerdict> verdicts)
    {
        ModelVerdict? caught = verdicts.FirstOrDefault(verdict => !verdict.Agreed);
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
