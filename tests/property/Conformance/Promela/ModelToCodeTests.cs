using Xunit.Abstractions;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// Model → code: operation sequences that SPIN generated from the Promela models (random simulations exported by
/// spec/conformance/export and committed in spec/conformance/corpus) are replayed on the C# allocators, and after every
/// operation the abstraction of the C# state must equal the state the model printed (docs/design-notes/0033).
/// </summary>
public sealed class ModelToCodeTests
{
    private readonly ITestOutputHelper _output;

    public ModelToCodeTests(ITestOutputHelper output) => _output = output;

    internal static IReadOnlyList<CorpusFile> Corpus { get; } = CorpusFile.All(RepositoryFiles.Corpus);

    [Fact]
    public void EveryFreeListSequenceOfTheModelReplaysOnTheAllocator() => ReplayEverySequence("freelist", Conformance.ReplayFreeList, cases: 12);

    [Fact]
    public void EverySlotSequenceOfTheModelReplaysOnTheAllocator() => ReplayEverySequence("slots", Conformance.ReplaySlots, cases: 10);

    /// <summary>
    /// Every committed sequence is still a behaviour of the current model: each runs as a driver (model → model) and
    /// the model must reproduce every recorded result and state. A model edit that changes behaviour fails here until
    /// the corpus is exported again.
    /// </summary>
    [SpinFact]
    public void EveryCommittedSequenceIsStillABehaviourOfTheModel()
    {
        var drivers = new List<(string Name, string Model, string Text, string[] Operations)>();
        foreach (CorpusFile file in Corpus)
        {
            foreach (CorpusSequence sequence in file.Sequences)
            {
                string title = $"corpus {sequence}";
                string name = $"{file.Name}-seed{sequence.Seed}";
                string[] operations = sequence.Lines.Select(line => line.Split(" | ")[0]).ToArray();
                drivers.Add(file.Model == "freelist"
                    ? (name, file.Model, PromelaDriver.FreeList(title, file.Defines["MAXPAGES"], sequence.FreeListSteps()), operations)
                    : (name, file.Model, PromelaDriver.Slots(title, file.Defines["CAP"], file.Defines["NKEYS"], file.Defines["THRESH"], file.Defines["NPROC"], sequence.PoolSteps()), operations));
            }
        }

        ModelVerdict[] verdicts = drivers.AsParallel().AsOrdered().Select(d => PromelaDriver.Check(d.Model, d.Text, d.Name, step => d.Operations[step])).ToArray();
        string[] stale = verdicts.Zip(drivers).Where(v => !v.First.Agreed).Select(v => $"{v.Second.Name}: {v.First}").ToArray();
        Assert.True(stale.Length == 0, "committed sequences the model no longer produces (run spec/conformance/export):\n" + string.Join("\n", stale));
        _output.WriteLine($"{verdicts.Length} committed sequences reproduced by the models");
    }

    /// <summary>
    /// The export is deterministic for a given SPIN version: two configurations exported again must equal the committed
    /// files. With another SPIN version the random choices may differ, so only the check above applies (said in the output).
    /// </summary>
    [SpinFact]
    public void ExportingAgainReproducesTheCorpus()
    {
        string[] names = ["freelist-maxpages4", "slots-cap3-keys2-procs2-thresh1"];
        CorpusFile[] committed = names.Select(name => Corpus.Single(file => file.Name == name)).ToArray();
        if (committed.Any(file => file.SpinVersion != SpinTool.Version))
        {
            _output.WriteLine($"not compared: the corpus was exported with {committed[0].SpinVersion}, this machine has {SpinTool.Version}");
            return;
        }

        string folder = Directory.CreateTempSubdirectory("veralloc-export-").FullName;
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in new[] { RepositoryFiles.ExportScript, "--out", folder }.Concat(names))
            {
                start.ArgumentList.Add(argument);
            }

            (int exitCode, string output) = SpinTool.RunProcess(start, TimeSpan.FromSeconds(120));
            Assert.True(exitCode == 0, $"spec/conformance/export failed:\n{output}");
            foreach (string name in names)
            {
                string expected = File.ReadAllText(Path.Combine(RepositoryFiles.Corpus, name + ".seq"));
                string actual = File.ReadAllText(Path.Combine(folder, name + ".seq"));
                Assert.True(expected == actual, $"spec/conformance/corpus/{name}.seq differs from what spec/conformance/export produces now: export the corpus again");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Replays every committed sequence of <paramref name="model"/> on the shipped allocator, and requires the corpus to take
    /// every case of the model (a probe number): a corpus that stopped reaching one would check less than it claims.
    /// </summary>
    private void ReplayEverySequence(string model, Func<AllocatorBuild, CorpusFile, CorpusSequence, ReplayDifference?> replay, int cases)
    {
        CorpusFile[] files = Corpus.Where(file => file.Model == model).ToArray();
        CorpusSequence[] sequences = files.SelectMany(file => file.Sequences).ToArray();
        foreach (CorpusFile file in files)
        {
            foreach (CorpusSequence sequence in file.Sequences)
            {
                ReplayDifference? difference = replay(AllocatorBuild.Shipped, file, sequence);
                Assert.True(difference is null, difference?.ToString());
            }
        }

        _output.WriteLine($"{sequences.Length} model sequences, {sequences.Sum(s => s.Lines.Length)} operations replayed");
        Assert.True(sequences.Length >= 10, $"only {sequences.Length} {model} sequences in spec/conformance/corpus");
        var seen = sequences.SelectMany(sequence => sequence.Lines)
            .SelectMany(line => line.Split(" | ")[1].Split(' ').Skip(1))
            .Select(FreeListState.Number)
            .ToHashSet();
        int[] missing = Enumerable.Range(1, cases).Where(c => !seen.Contains(c)).ToArray();
        Assert.True(missing.Length == 0, $"the corpus never takes the {model} model's case(s) {string.Join(", ", missing)}: export longer or more sequences");
    }
}
