namespace Veralloc.Bench.Traces;

/// <summary>
/// The lolfuzz workload of <c>gen_traces.py</c>, generated in-process from a seeded <see cref="Random"/>.
/// Same distribution as the file, not the same sequence (Python's and .NET's generators differ): per step,
/// free random live blocks while a 0.45 coin comes up; allocate 1..99 bytes aligned to 1..64; with
/// probability 0.05 also 1..655359 bytes aligned to 1..32768; free the rest in random order after each round.
/// </summary>
public static class LolfuzzGenerator
{
    /// <summary>The file's shape: 100 rounds.</summary>
    public const int DefaultRounds = 100;

    /// <summary>The file's shape: 5000 steps per round.</summary>
    public const int DefaultStepsPerRound = 5000;

    /// <summary>
    /// The most steps (rounds × steps per round) one trace may take: a step allocates at most two blocks, each under a
    /// new id, and ids must stay within <see cref="TraceLimits.MaxBlockId"/>.
    /// </summary>
    public const int MaxTotalSteps = (TraceLimits.MaxBlockId + 1) / 2;

    /// <summary>Generates the workload.</summary>
    /// <param name="rounds">Rounds; each ends with every block freed.</param>
    /// <param name="stepsPerRound">Steps per round.</param>
    /// <param name="seed">Seed of the generator; the same seed gives the same trace.</param>
    /// <returns>An allocation trace that ends empty.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, or their product exceeds <see cref="MaxTotalSteps"/>.</exception>
    public static ParsedTrace Generate(int rounds = DefaultRounds, int stepsPerRound = DefaultStepsPerRound, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rounds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsPerRound);
        if ((long)rounds * stepsPerRound > MaxTotalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(stepsPerRound), stepsPerRound, $"{rounds} rounds of {stepsPerRound} steps exceed the {MaxTotalSteps} steps a trace may take.");
        }

        var random = new Random(seed);
        var builder = new TraceBuilder($"lolfuzz (in-process, seed {seed}, {rounds}x{stepsPerRound})", TraceKind.Allocation);
        var live = new List<int>();
        int nextId = 0;
        for (int round = 0; round < rounds; round++)
        {
            for (int step = 0; step < stepsPerRound; step++)
            {
                while (live.Count > 0 && random.NextDouble() < 0.45)
                {
                    int i = random.Next(live.Count);
                    (live[i], live[^1]) = (live[^1], live[i]);
                    builder.Add(TraceOp.Free(live[^1], 0, 0));
                    live.RemoveAt(live.Count - 1);
                }

                builder.Add(TraceOp.Alloc(nextId, random.Next(1, 100), 1 << random.Next(0, 7)));
                live.Add(nextId++);
                if (random.NextDouble() < 0.05)
                {
                    builder.Add(TraceOp.Alloc(nextId, random.Next(1, 655360), 1 << random.Next(0, 16)));
                    live.Add(nextId++);
                }
            }

            Shuffle(random, live);
            foreach (int id in live)
            {
                builder.Add(TraceOp.Free(id, 0, 0));
            }

            live.Clear();
        }

        return builder.Build();
    }

    private static void Shuffle(Random random, List<int> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
