namespace Veralloc.Systematic.Strategies;

/// <summary>Uniform choice among the enabled threads; iteration <c>i</c> uses a seed derived from the run's seed and <c>i</c>.</summary>
internal sealed class RandomStrategy(int seed) : ISchedulingStrategy
{
    private Random _random = new(seed);

    public string? DivergenceReason => null;

    public bool Exhausted => false;

    public bool PrepareIteration(int iteration)
    {
        _random = new Random(IterationSeed.Derive(seed, iteration));
        return true;
    }

    public int ChooseThread(List<int> enabled, int currentId, int point) => enabled[_random.Next(enabled.Count)];

    public int ChooseValue(int range, int point) => _random.Next(range);

    public void IterationEnded(int points)
    {
    }
}
