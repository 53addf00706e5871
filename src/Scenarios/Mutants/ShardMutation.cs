namespace Veralloc.Scenarios.Mutants;

/// <summary>
/// The bug injected into <see cref="MutantShardedSlotPool"/>, a composition of real <c>SlotAllocator</c> shards. The
/// shards stay correct, so every SLOT-* invariant holds throughout: only the results of allocations give a mutant away.
/// </summary>
public enum ShardMutation
{
    /// <summary>Allocation tries the home shard only and reports a full pool as soon as that shard is full.</summary>
    ExhaustAfterHomeShard,

    /// <summary>
    /// Allocation probes every shard, each under its own lock, but reports a full pool straight after the last probe,
    /// without trying again under every lock: a slot freed into a shard already probed is missed.
    /// </summary>
    ProbeWithoutRecheck,
}
