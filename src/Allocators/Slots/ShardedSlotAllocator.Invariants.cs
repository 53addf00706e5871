using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.Slots;

/// <summary>The sharded pool's checks: every shard's SLOT-* invariants, then SLOT-SHARD-CONSERVE (spec/slots.md).</summary>
public sealed partial class ShardedSlotAllocator
{
    /// <summary>
    /// Checks, with every shard's lock held at once (one consistent cut), every shard's SLOT-* invariants in shard
    /// order, then SLOT-SHARD-CONSERVE. O(capacity). Allocates; meant for tests and diagnostics.
    /// </summary>
    /// <exception cref="InvariantViolationException">
    /// An invariant is broken; its id says which, and for a shard's invariant the subject names the shard and its
    /// local slot id.
    /// </exception>
    // Never inlined, so that a violation's stack trace always names the structure that found it, even where the
    // JIT would inline this into a caller or into a delegate call it has devirtualised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CheckInvariants()
    {
        InvariantViolation? violation = null;
        int entered = 0;
        try
        {
            EnterEvery(ref entered);
            for (int shard = 0; shard < _shards.Length && violation is null; shard++)
            {
                if (_shards[shard].FindViolationHeld() is { } found)
                {
                    violation = InShard(shard, found).Violation;
                }
            }

            violation ??= FindPartitionViolation();
        }
        finally
        {
            ExitFirst(entered);
        }

        Invariant.ThrowIfViolated(violation);
    }

    /// <summary>
    /// Checks one shard's SLOT-* invariants under its lock alone, so a test can check a shard while other shards' locks
    /// are held. O(that shard's capacity).
    /// </summary>
    /// <param name="shard">A shard, <c>0..ShardCount-1</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shard"/> is outside <c>0..ShardCount-1</c>.</exception>
    /// <exception cref="InvariantViolationException">An invariant of the shard is broken; the subject names the shard.</exception>
    public void CheckShardInvariants(int shard)
    {
        RequireShard(shard, nameof(shard));
        if (_shards[shard].FindViolation() is { } violation)
        {
            throw InShard(shard, violation);
        }
    }

    /// <summary>
    /// SLOT-SHARD-CONSERVE: the shards' ranges start at 0, follow one another without gap or overlap, each as long as
    /// its shard's capacity, and end at the capacity. <see cref="ShardOf"/> routes every free by these ranges, so a
    /// broken one would free a slot in the wrong shard or let one global id name two slots.
    /// </summary>
    private InvariantViolation? FindPartitionViolation()
    {
        if (_firstSlotIds[0] != 0)
        {
            return new InvariantViolation(SlotInvariantIds.ShardConserve, "shard 0",
                Format($"the first shard starts at global id {_firstSlotIds[0]}; the shards must cover the ids from 0"));
        }

        if (_firstSlotIds[_shards.Length] != _capacity)
        {
            return new InvariantViolation(SlotInvariantIds.ShardConserve, "shards",
                Format($"the shards' ranges end before global id {_firstSlotIds[_shards.Length]} but the capacity is {_capacity}"));
        }

        for (int shard = 0; shard < _shards.Length; shard++)
        {
            int length = _firstSlotIds[shard + 1] - _firstSlotIds[shard];
            if (length != _shards[shard].Capacity)
            {
                return new InvariantViolation(SlotInvariantIds.ShardConserve, Format($"shard {shard}"),
                    Format($"the shard starts at global id {_firstSlotIds[shard]} and the next range at {_firstSlotIds[shard + 1]}, a range of {length} ids, but it has {_shards[shard].Capacity} slots: the ranges must follow one another, each as long as its shard"));
            }
        }

        return null;
    }

    /// <summary>A shard's violation, with the shard named in the subject and its id range in the detail.</summary>
    private InvariantViolationException InShard(int shard, InvariantViolation violation) =>
        new(violation with
        {
            Subject = Format($"shard {shard}, {violation.Subject}"),
            Detail = Format($"{violation.Detail} (slot ids in a shard's checks are local: shard {shard} holds global ids {_firstSlotIds[shard]}..{_firstSlotIds[shard] + _shards[shard].Capacity - 1}, local id + {_firstSlotIds[shard]})"),
        });

    // Test-only hooks (internal: visible to the test assemblies only).

    /// <summary>The shard itself, so a test can corrupt it through its own hooks.</summary>
    internal SlotAllocator ShardForTest(int shard) => _shards[shard];

    /// <summary>Moves the start of <paramref name="shard"/>'s id range, under every lock.</summary>
    internal void CorruptShardFirstSlotIdForTest(int shard, int firstSlotId)
    {
        int entered = 0;
        try
        {
            EnterEvery(ref entered);
            _firstSlotIds[shard] = firstSlotId;
        }
        finally
        {
            ExitFirst(entered);
        }
    }
}
