namespace Veralloc.Systematic.Strategies;

/// <summary>Chooses the next logical thread at each non-forced scheduling point, and each controlled random value.</summary>
internal interface ISchedulingStrategy
{
    /// <summary>Why the last choice returned -1.</summary>
    string? DivergenceReason { get; }

    /// <summary>True when the strategy has enumerated its whole space.</summary>
    bool Exhausted { get; }

    /// <summary>
    /// How many points at the start of the iteration just prepared repeat the previous iteration's points exactly (the
    /// prefix DFS replays); the engine reports <see cref="BugKind.Nondeterminism"/> when they differ. 0 for strategies
    /// that replay nothing.
    /// </summary>
    int ReplayedPoints => 0;

    /// <summary>Prepares iteration <paramref name="iteration"/>; false when there is nothing left to explore.</summary>
    bool PrepareIteration(int iteration);

    /// <summary>
    /// Picks one of <paramref name="enabled"/> (thread ids, ascending, at least two). <paramref name="currentId"/> is the
    /// thread that reached the point when it is itself enabled, else -1. <paramref name="point"/> is the zero-based index
    /// of the scheduling point in the iteration. Returns -1 when the strategy cannot follow (replay divergence).
    /// </summary>
    int ChooseThread(List<int> enabled, int currentId, int point);

    /// <summary>Picks a value in <c>[0, range)</c> (<paramref name="range"/> at least 2); -1 when the strategy cannot follow.</summary>
    int ChooseValue(int range, int point);

    /// <summary>Told when an iteration ends, with the number of its points at which the strategy was in charge.</summary>
    void IterationEnded(int points);
}

/// <summary>Seeds derived per iteration so that any iteration can be reproduced on its own.</summary>
internal static class IterationSeed
{
    public static int Derive(int seed, int iteration)
    {
        // SplitMix64 finalizer: neighbouring (seed, iteration) pairs give unrelated streams.
        var z = ((ulong)(uint)seed << 32) ^ (uint)iteration;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFF_FFFF);
    }
}

/// <summary>How a decision list stores both kinds of choice: a thread id as itself, a random value <c>v</c> as <c>-1 - v</c>.</summary>
internal static class ChoiceEncoding
{
    public static int Value(int value) => -1 - value;

    public static bool IsValue(int encoded) => encoded < 0;

    public static int DecodeValue(int encoded) => -1 - encoded;
}
