namespace Veralloc.Systematic.Strategies;

/// <summary>Chooses the next logical thread at each non-forced scheduling point.</summary>
internal interface ISchedulingStrategy
{
    /// <summary>Prepares iteration <paramref name="iteration"/>; false when there is nothing left to explore.</summary>
    bool PrepareIteration(int iteration);

    /// <summary>
    /// Picks one of <paramref name="enabled"/> (thread ids, ascending, at least two). <paramref name="currentId"/> is the
    /// thread that reached the point when it is itself enabled, else -1. <paramref name="step"/> counts scheduling
    /// points from 1 in this iteration. Returns -1 when the strategy cannot follow (replay divergence).
    /// </summary>
    int Choose(List<int> enabled, int currentId, int step);

    /// <summary>Told when an iteration ends, with the scheduling points it took.</summary>
    void IterationEnded(int steps);

    /// <summary>Why the last <see cref="Choose"/> returned -1.</summary>
    string? DivergenceReason { get; }

    /// <summary>True when the strategy has enumerated its whole space.</summary>
    bool Exhausted { get; }
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
