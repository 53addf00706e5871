namespace Veralloc.Systematic.Minimization;

/// <summary>Budgets and run settings of <see cref="WitnessMinimizer.Minimize"/>.</summary>
public sealed record MinimizationOptions
{
    /// <summary>
    /// The settings every run uses: step bounds, fairness, timeouts, invariant checking, hand-off, scenario name. The
    /// strategy, iterations, seed, trace directory, progress, shard and determinism reruns are the minimiser's own. Null
    /// (default): the defaults of <see cref="TestOptions"/>, with the step bounds the witness was recorded under.
    /// </summary>
    public TestOptions? RunOptions { get; init; }

    /// <summary>
    /// The most schedules DFS may run at each preemption bound below the witness's own count, looking for a witness with
    /// fewer preemptions. Default 10,000; 0 skips that search.
    /// </summary>
    public int SchedulesPerBound { get; init; } = 10_000;

    /// <summary>The most candidate schedules delta debugging and single-decision changes may replay. Default 2,000; 0 skips them.</summary>
    public int MaxReplays { get; init; } = 2_000;

    /// <summary>
    /// The most schedules of the last phase: DFS at the witness's preemption count, passing over every witness that is not
    /// shorter, which proves the witness shortest when it exhausts the space. Default 10,000; 0 skips it.
    /// </summary>
    public int ShortestSearchSchedules { get; init; } = 10_000;

    /// <summary>Wall-clock limit of the whole minimisation; when it runs out the best witness so far is kept. Default 60 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Throws when a budget is out of range (<see cref="RunOptions"/> is checked once the minimiser has set its own fields).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A budget is negative or the timeout is not positive.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(SchedulesPerBound, nameof(SchedulesPerBound));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxReplays, nameof(MaxReplays));
        ArgumentOutOfRangeException.ThrowIfNegative(ShortestSearchSchedules, nameof(ShortestSearchSchedules));
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "Timeout must be positive.");
        }
    }
}
