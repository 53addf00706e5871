using System.Globalization;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// The committed sequences that spec/conformance/export produced from random SPIN simulations of the models, one
/// file per model configuration (spec/conformance/corpus/NAME.seq).
/// </summary>
internal sealed record CorpusFile(string Name, string Model, IReadOnlyDictionary<string, int> Defines, string SpinVersion, IReadOnlyList<CorpusSequence> Sequences)
{
    public static IReadOnlyList<CorpusFile> All(string folder) =>
        Directory.EnumerateFiles(folder, "*.seq").Order(StringComparer.Ordinal).Select(Read).ToArray();

    public static CorpusFile Read(string path)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        string[] lines = File.ReadAllLines(path);
        string version = lines.FirstOrDefault(line => line.StartsWith("# Spin Version", StringComparison.Ordinal))?[2..]
            ?? throw new FormatException($"{name}: no `# Spin Version` line");
        string[] header = (lines.FirstOrDefault(line => line.StartsWith("model ", StringComparison.Ordinal))
            ?? throw new FormatException($"{name}: no `model` line")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var defines = header[2..].Select(d => d.Split('=')).ToDictionary(d => d[0], d => int.Parse(d[1], CultureInfo.InvariantCulture));

        var sequences = new List<CorpusSequence>();
        int seed = -1;
        var steps = new List<string>();
        foreach (string line in lines.Where(line => !line.StartsWith('#') && !line.StartsWith("model ", StringComparison.Ordinal)))
        {
            if (line.StartsWith("sequence seed ", StringComparison.Ordinal))
            {
                Flush();
                seed = int.Parse(line["sequence seed ".Length..], CultureInfo.InvariantCulture);
            }
            else if (line.Length > 0)
            {
                steps.Add(seed >= 0 ? line : throw new FormatException($"{name}: a step before the first `sequence` line"));
            }
        }

        Flush();
        return new CorpusFile(name, header[1], defines, version, sequences);

        void Flush()
        {
            if (seed >= 0)
            {
                sequences.Add(new CorpusSequence(name, seed, steps.ToArray()));
            }

            steps.Clear();
        }
    }

    /// <summary>The model's -D settings as the spin command line takes them.</summary>
    public IEnumerable<string> SpinDefines => Defines.Select(d => string.Create(CultureInfo.InvariantCulture, $"-D{d.Key}={d.Value}"));
}

/// <summary>One exported simulation: its seed and its steps, one line each (<c>OP | cases N... | STATE</c>).</summary>
internal sealed record CorpusSequence(string File, int Seed, string[] Lines)
{
    public IReadOnlyList<FreeListStep> FreeListSteps() =>
        Lines.Select(line => Split(line, (op, cases, state) => new FreeListStep(FreeListOp.Parse(op), cases, FreeListState.Parse(state)))).ToArray();

    public IReadOnlyList<PoolStep> PoolSteps() =>
        Lines.Select(line => Split(line, (op, cases, state) => new PoolStep(PoolOp.Parse(op), cases, PoolState.Parse(state)))).ToArray();

    public override string ToString() => $"{File} seed {Seed}";

    private static T Split<T>(string line, Func<string, int[], string, T> make)
    {
        string[] parts = line.Split(" | ");
        if (parts.Length != 3 || !parts[1].StartsWith("cases", StringComparison.Ordinal))
        {
            throw new FormatException($"not a corpus step `OP | cases ... | STATE`: `{line}`");
        }

        int[] cases = parts[1]["cases".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(FreeListState.Number).ToArray();
        return make(parts[0], cases, parts[2]);
    }
}
