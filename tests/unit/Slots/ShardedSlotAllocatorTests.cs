using Veralloc.Allocators.Concurrency;
using Veralloc.Allocators.Slots;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>
/// The sharded slot allocator's sequential contract (docs/design-notes/0013-sharded-slot-allocator.md): how capacity
/// and threshold are shared out, global ids, home shards, probing, exhaustion only when every shard is full, per-shard
/// SEED §3 policy, routing of frees, batch frees all or nothing, and the locks each member takes.
/// </summary>
public sealed class ShardedSlotAllocatorTests
{
    private static readonly SlotAffinity K1 = new(1, 0);
    private static readonly SlotAffinity K2 = new(2, 0);

    [Fact]
    public void CapacityAndThresholdAreSharedOutWithTheRemainderToTheFirstShards()
    {
        var pool = new ShardedSlotAllocator(capacity: 10, shardCount: 3, maxUnusedWarm: 5);

        Assert.Equal(10, pool.Capacity);
        Assert.Equal(3, pool.ShardCount);
        Assert.Equal(5, pool.MaxUnusedWarm);
        Assert.Equal([4, 3, 3], Enumerable.Range(0, 3).Select(pool.GetShardCapacity));
        Assert.Equal([0, 4, 7], Enumerable.Range(0, 3).Select(pool.GetShardFirstSlotId));
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 2, 2, 2], Enumerable.Range(0, 10).Select(pool.GetShardOf));
        Assert.Equal(10, pool.EmptySlotCount);
        Assert.True(pool.IsEmpty);
        pool.CheckInvariants();
    }

    [Fact]
    public void EachShardKeepsItsShareOfTheThreshold()
    {
        // Threshold 5 over 3 shards: 2, 2, 1. Shard 2 (ids 7..9) therefore evicts its LRU warm slot once it holds one.
        var pool = new ShardedSlotAllocator(capacity: 10, shardCount: 3, maxUnusedWarm: 5);
        Assert.True(pool.TryAllocate(2, K1, out int first));
        pool.Free(first, 1);
        Assert.True(pool.TryAllocate(2, K2, out int second));

        Assert.Equal(7, first);
        Assert.Equal(first, second);

        // Shard 0 keeps two warm slots before it evicts: a third key gets a cold slot.
        Assert.True(pool.TryAllocate(0, K1, out int a));
        pool.Free(a, 1);
        Assert.True(pool.TryAllocate(0, new SlotAffinity(5, 0), out int b));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void AnAllocationTakesItsHomeShardsSlotsFirstAndReturnsGlobalIds()
    {
        var pool = new ShardedSlotAllocator(capacity: 6, shardCount: 3, maxUnusedWarm: 0);

        Assert.True(pool.TryAllocate(1, null, out int fromOne));
        Assert.True(pool.TryAllocate(2, null, out int fromTwo));
        Assert.True(pool.TryAllocate(2, null, out int fromTwoAgain));

        Assert.Equal(2, fromOne);
        Assert.Equal([4, 5], new[] { fromTwo, fromTwoAgain });
        Assert.Equal(SlotKind.Used, pool.GetSlotState(fromOne).Kind);
        Assert.Equal([2, 1, 0], Enumerable.Range(0, 3).Select(pool.GetShardEmptySlotCount));
    }

    [Fact]
    public void AFullHomeShardFallsBackToTheNextShardsInOrder()
    {
        var pool = new ShardedSlotAllocator(capacity: 3, shardCount: 3, maxUnusedWarm: 0);

        Assert.True(pool.TryAllocate(1, null, out int home));
        Assert.True(pool.TryAllocate(1, null, out int next));
        Assert.True(pool.TryAllocate(1, null, out int wrapped));

        Assert.Equal([1, 2, 0], new[] { home, next, wrapped });
    }

    [Fact]
    public void TheAllocatorIsFullOnlyWhenEveryShardIs()
    {
        var pool = new ShardedSlotAllocator(capacity: 4, shardCount: 2, maxUnusedWarm: 4);
        var taken = new List<int>();
        for (int i = 0; i < 4; i++)
        {
            Assert.True(pool.TryAllocate(0, K1, out int slot), $"alloc {i + 1} of 4 from home 0 failed");
            taken.Add(slot);
        }

        string before = Describe(pool);
        Assert.False(pool.TryAllocate(0, K1, out int none));
        Assert.False(pool.TryAllocate(1, null, out _));
        Assert.Equal(-1, none);
        Assert.Equal(before, Describe(pool));

        // One free anywhere makes the pool non-full again, whichever shard the allocation starts from.
        pool.Free(taken[3], 7);
        Assert.True(pool.TryAllocate(0, K2, out int again));
        Assert.Equal(taken[3], again);
        pool.CheckInvariants();
    }

    [Fact]
    public void AFreedSlotReturnsToTheShardThatOwnsItsId()
    {
        var pool = new ShardedSlotAllocator(capacity: 4, shardCount: 2, maxUnusedWarm: 4);
        Assert.True(pool.TryAllocate(0, K1, out int a));
        Assert.True(pool.TryAllocate(0, K1, out int b));
        Assert.True(pool.TryAllocate(0, K1, out int c));

        pool.Free(c, 30);
        pool.Free(a, 10);

        Assert.Equal([a], pool.GetWarmList(0));
        Assert.Equal([c], pool.GetWarmList(1));
        Assert.Equal(new SlotState(SlotKind.UnusedWarm, K1, 30), pool.GetSlotState(c));
        Assert.Equal(SlotKind.Used, pool.GetSlotState(b).Kind);
        Assert.Equal(40, pool.UnusedBytesResident);
        Assert.Equal(2, pool.UnusedWarmCount);

        // Affinity stays in the shard: home 1 finds its key's slot there, home 0 finds its own.
        Assert.True(pool.TryAllocate(1, K1, out int fromOne));
        Assert.True(pool.TryAllocate(0, K1, out int fromZero));
        Assert.Equal([c, a], new[] { fromOne, fromZero });
    }

    [Fact]
    public void AffineAndClearLooksInEveryShardFromHome()
    {
        var pool = new ShardedSlotAllocator(capacity: 4, shardCount: 2, maxUnusedWarm: 4);
        Assert.True(pool.TryAllocate(1, K1, out int slot));
        pool.Free(slot, 5);

        Assert.False(pool.TryAllocateAffineAndClear(0, K2, out int none));
        Assert.Equal(-1, none);
        Assert.True(pool.TryAllocateAffineAndClear(0, K1, out int cleared));
        Assert.Equal(slot, cleared);
        Assert.Equal(new SlotState(SlotKind.Used, null, 0), pool.GetSlotState(cleared));
        Assert.False(pool.TryAllocateAffineAndClear(1, K1, out _));
        pool.CheckInvariants();
    }

    [Fact]
    public void OneShardBehavesExactlyLikeTheUnshardedAllocator()
    {
        var random = new Random(2026);
        var sharded = new ShardedSlotAllocator(capacity: 12, shardCount: 1, maxUnusedWarm: 3);
        var plain = new SlotAllocator(12, 3);
        var held = new List<int>();
        for (int op = 0; op < 5_000; op++)
        {
            if (held.Count > 0 && random.Next(3) == 0)
            {
                int index = random.Next(held.Count);
                long bytes = random.Next(100);
                sharded.Free(held[index], bytes);
                plain.Free(held[index], bytes);
                held.RemoveAt(index);
            }
            else
            {
                SlotAffinity? key = random.Next(4) == 0 ? null : new SlotAffinity(random.Next(5), 0);
                bool clear = key is not null && random.Next(8) == 0;
                bool got = clear ? sharded.TryAllocateAffineAndClear(key!.Value, out int slot) : sharded.TryAllocate(key, out slot);
                bool expected = clear ? plain.TryAllocateAffineAndClear(key!.Value, out int expectedSlot) : plain.TryAllocate(key, out expectedSlot);
                Assert.Equal((expected, expectedSlot), (got, slot));
                if (got)
                {
                    held.Add(slot);
                }
            }

            Assert.Equal(plain.GetWarmList(), sharded.GetWarmList(0));
            Assert.Equal(plain.UnusedBytesResident, sharded.UnusedBytesResident);
        }

        sharded.CheckInvariants();
    }

    [Fact]
    public void RandomUseOfThreeShardsKeepsEveryInvariantAndIsFullOnlyWhenEmptyCountIsZero()
    {
        var random = new Random(7);
        var pool = new ShardedSlotAllocator(capacity: 11, shardCount: 3, maxUnusedWarm: 4);
        var held = new List<int>();
        for (int op = 0; op < 5_000; op++)
        {
            if (held.Count > 0 && random.Next(2) == 0)
            {
                int count = Math.Min(held.Count, 1 + random.Next(3));
                int[] batch = held.Take(count).ToArray();
                held.RemoveRange(0, count);
                if (count == 1)
                {
                    pool.Free(batch[0], 1);
                }
                else
                {
                    pool.FreeMany(batch, batch.Select(slot => (long)slot).ToArray());
                }
            }
            else
            {
                int emptyBefore = pool.EmptySlotCount;
                bool got = pool.TryAllocate(random.Next(3), new SlotAffinity(random.Next(4), 0), out int slot);
                Assert.Equal(emptyBefore > 0, got);
                if (got)
                {
                    Assert.DoesNotContain(slot, held);
                    held.Add(slot);
                }
            }

            pool.CheckInvariants();
            Assert.Equal(pool.Capacity - held.Count, pool.EmptySlotCount);
        }
    }

    [Fact]
    public void FreeManyFreesInBatchOrderWithOneLockPerShardTouched()
    {
        var locks = new List<CountingLock>();
        var pool = new ShardedSlotAllocator(capacity: 6, shardCount: 3, maxUnusedWarm: 6, shard => Add(locks, new CountingLock()));
        var slots = new int[5];
        for (int i = 0; i < slots.Length; i++)
        {
            Assert.True(pool.TryAllocate(0, K1, out slots[i]));
        }

        int[] enteredBefore = [.. locks.Select(l => l.Entered)];
        pool.FreeMany([slots[3], slots[0], slots[1]], [30, 0, 10]);

        Assert.Equal([1, 1, 0], locks.Select((l, i) => l.Entered - enteredBefore[i]));
        Assert.Equal([slots[0], slots[1]], pool.GetWarmList(0));
        Assert.Equal([slots[3]], pool.GetWarmList(1));
        Assert.Equal(40, pool.UnusedBytesResident);
        Assert.All(locks, l => Assert.False(l.Held));
        pool.FreeMany([], []);
        pool.CheckInvariants();
    }

    [Fact]
    public void ABatchWithOneBadEntryFreesNothing()
    {
        var pool = new ShardedSlotAllocator(capacity: 4, shardCount: 2, maxUnusedWarm: 4);
        Assert.True(pool.TryAllocate(0, K1, out int a));
        Assert.True(pool.TryAllocate(0, K1, out int b));
        Assert.True(pool.TryAllocate(0, K1, out int c));
        Assert.True(pool.TryAllocate(1, K1, out int d));
        pool.Free(b, 1);
        string before = Describe(pool);

        var notUsed = Assert.Throws<InvalidOperationException>(() => pool.FreeMany([a, c, b], [1, 1, 1]));
        Assert.Contains($"slot {b} is UnusedWarm", notUsed.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<InvalidOperationException>(() => pool.FreeMany([a, c, a], [1, 1, 1]));
        Assert.Contains($"slot {a} appears twice", twice.Message, StringComparison.Ordinal);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => pool.FreeMany([a, 4], [1, 1]));
        Assert.Equal("slotIds", range.ParamName);
        Assert.Contains("slotIds[1] = 4 must lie in 0..3", range.Message, StringComparison.Ordinal);
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => pool.FreeMany([a, c], [1, -2]));
        Assert.Contains("bytesResident[1] = -2 must be >= 0", negative.Message, StringComparison.Ordinal);
        var lengths = Assert.Throws<ArgumentException>(() => pool.FreeMany([a, c], [1]));
        Assert.Contains("slotIds has 2 entries but bytesResident has 1", lengths.Message, StringComparison.Ordinal);

        // Two entries for shard 1 (ids 2 and 3) that overflow its resident total only together.
        var overflow = Assert.Throws<ArgumentOutOfRangeException>(() => pool.FreeMany([a, c, d], [1, long.MaxValue, 1]));
        Assert.Contains($"bytesResident 1 would overflow shard 1's UnusedBytesResident (with the batch's earlier entries) {long.MaxValue}", overflow.Message, StringComparison.Ordinal);

        Assert.Equal(before, Describe(pool));
        pool.CheckInvariants();
    }

    [Fact]
    public void FreeRejectsBadInputNamingTheGlobalIdAndChangesNothing()
    {
        var pool = new ShardedSlotAllocator(capacity: 4, shardCount: 2, maxUnusedWarm: 4);
        Assert.True(pool.TryAllocate(1, K1, out int slot));
        pool.Free(slot, 3);
        string before = Describe(pool);

        var doubleFree = Assert.Throws<InvalidOperationException>(() => pool.Free(slot, 1));
        Assert.Contains($"slot {slot} is UnusedWarm", doubleFree.Message, StringComparison.Ordinal);
        var never = Assert.Throws<InvalidOperationException>(() => pool.Free(3, 1));
        Assert.Contains("slot 3 is UnusedCold", never.Message, StringComparison.Ordinal);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Free(4, 1));
        Assert.Contains("slot id 4 must lie in 0..3", range.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Free(-1, 1));
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Free(slot, -1));
        Assert.Equal("bytesResident", negative.ParamName);
        Assert.Equal(before, Describe(pool));

        Assert.True(pool.TryAllocate(1, K2, out int other));
        Assert.Equal(3, other);
        before = Describe(pool);
        var overflow = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Free(other, long.MaxValue));
        Assert.Contains("would overflow shard 1's UnusedBytesResident 3", overflow.Message, StringComparison.Ordinal);
        Assert.Equal(before, Describe(pool));
        pool.CheckInvariants();
    }

    [Fact]
    public void TheTotalOfResidentBytesSaturatesInsteadOfOverflowing()
    {
        var pool = new ShardedSlotAllocator(capacity: 2, shardCount: 2, maxUnusedWarm: 2);
        Assert.True(pool.TryAllocate(0, null, out int a));
        Assert.True(pool.TryAllocate(1, null, out int b));
        pool.Free(a, long.MaxValue);
        pool.Free(b, 1);

        Assert.Equal(long.MaxValue, pool.UnusedBytesResident);
        pool.CheckInvariants();
    }

    [Theory]
    [InlineData(4, 0, 0, "shardCount", "shardCount 0 must lie in 1..256")]
    [InlineData(300, 257, 0, "shardCount", "shardCount 257 must lie in 1..256")]
    [InlineData(2, 3, 0, "capacity", "capacity 2 must lie in 3..16777216")]
    [InlineData(16777217, 2, 0, "capacity", "capacity 16777217 must lie in 2..16777216")]
    [InlineData(4, 2, 5, "maxUnusedWarm", "maxUnusedWarm 5 must lie in 0..4")]
    [InlineData(4, 2, -1, "maxUnusedWarm", "maxUnusedWarm -1 must lie in 0..4")]
    public void ConstructorRejectsSizesOutOfRange(int capacity, int shardCount, int maxUnusedWarm, string parameter, string message)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ShardedSlotAllocator(capacity, shardCount, maxUnusedWarm));
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConstructorRejectsAMissingOrSharedLock()
    {
        var shared = new CountingLock();
        var missing = Assert.Throws<ArgumentException>(() => new ShardedSlotAllocator(4, 2, 0, shard => shard == 1 ? null! : new CountingLock()));
        Assert.Equal("lockFactory", missing.ParamName);
        Assert.Contains("returned null for shard 1", missing.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<ArgumentException>(() => new ShardedSlotAllocator(6, 3, 0, shard => shard == 0 ? new CountingLock() : shared));
        Assert.Contains("the same lock for shards 1 and 2", twice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShardArgumentsOutOfRangeAreRejected()
    {
        var pool = new ShardedSlotAllocator(4, 2, 0);
        var home = Assert.Throws<ArgumentOutOfRangeException>(() => pool.TryAllocate(2, null, out _));
        Assert.Equal("homeShard", home.ParamName);
        Assert.Contains("homeShard 2 must lie in 0..1", home.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.TryAllocateAffineAndClear(-1, K1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetShardCapacity(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetShardFirstSlotId(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetShardOf(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetWarmList(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetShardEmptySlotCount(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetSlotState(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.CheckShardInvariants(2));
        Assert.True(pool.IsEmpty);
    }

    [Fact]
    public void HomeShardsAreHandedOutRoundRobinAndEachThreadKeepsItsOwn()
    {
        var pool = new ShardedSlotAllocator(capacity: 9, shardCount: 3, maxUnusedWarm: 0);
        Assert.Equal([0, 1, 2, 0], new[] { pool.AssignHomeShard(), pool.AssignHomeShard(), pool.AssignHomeShard(), pool.AssignHomeShard() });

        // The next two threads to ask get shards 1 and 2, and keep them. Asserts run here, not on the threads.
        var homes = new int[2];
        var homesAgain = new int[2];
        var slots = new int[2];
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            int me = t;
            threads[t] = new Thread(() =>
            {
                homes[me] = pool.CurrentThreadHomeShard;
                homesAgain[me] = pool.CurrentThreadHomeShard;
                slots[me] = pool.TryAllocate(null, out int slot) ? slot : -1;
            });
            threads[t].Start();
            threads[t].Join();
        }

        Assert.Equal([1, 2], homes);
        Assert.Equal(homes, homesAgain);
        Assert.Equal([pool.GetShardFirstSlotId(1), pool.GetShardFirstSlotId(2)], slots);

        // A pool this thread has not used before assigns afresh.
        var other = new ShardedSlotAllocator(capacity: 2, shardCount: 2, maxUnusedWarm: 0);
        Assert.Equal(0, other.CurrentThreadHomeShard);
        Assert.False(other.TryAllocateAffineAndClear(K1, out _));
    }

    [Fact]
    public void AKeysHomeShardIsFixedByTheKeyAndTheShardCount()
    {
        var pool = new ShardedSlotAllocator(capacity: 64, shardCount: 4, maxUnusedWarm: 0);
        var twin = new ShardedSlotAllocator(capacity: 8, shardCount: 4, maxUnusedWarm: 8);
        int[] homes = [.. Enumerable.Range(0, 40).Select(module => pool.GetKeyHomeShard(new SlotAffinity(module, 0)))];

        Assert.All(homes, home => Assert.InRange(home, 0, 3));
        Assert.Equal(homes, Enumerable.Range(0, 40).Select(module => twin.GetKeyHomeShard(new SlotAffinity(module, 0))));
        Assert.All(Enumerable.Range(0, 4), shard => Assert.Contains(shard, homes));
        Assert.Equal(0, new ShardedSlotAllocator(capacity: 2, shardCount: 1, maxUnusedWarm: 0).GetKeyHomeShard(new SlotAffinity(int.MinValue, -1)));

        // Allocating from it keeps every slot of a key in that key's shard.
        var key = new SlotAffinity(17, 3);
        int home = pool.GetKeyHomeShard(key);
        Assert.True(pool.TryAllocate(home, key, out int slot));
        Assert.Equal(home, pool.GetShardOf(slot));
    }

    [Fact]
    public void AnAllocationFromAFreeHomeShardTakesOnlyThatShardsLock()
    {
        var locks = new List<CountingLock>();
        var pool = new ShardedSlotAllocator(capacity: 4, shardCount: 2, maxUnusedWarm: 0, shard => Add(locks, new CountingLock()));

        Assert.True(pool.TryAllocate(1, null, out _));
        Assert.Equal([0, 1], locks.Select(l => l.Entered));

        // Shard 1 full: the probe moves on to shard 0 under its lock alone.
        Assert.True(pool.TryAllocate(1, null, out _));
        Assert.True(pool.TryAllocate(1, null, out int fallback));
        Assert.Equal(0, fallback);
        Assert.Equal([1, 3], locks.Select(l => l.Entered));
    }

    [Fact]
    public void ReportingAFullPoolHoldsEveryLockAtOnceAndReleasesThem()
    {
        var locks = new List<CountingLock>();
        var pool = new ShardedSlotAllocator(capacity: 3, shardCount: 3, maxUnusedWarm: 0, shard => Add(locks, new CountingLock(locks)));
        for (int i = 0; i < 3; i++)
        {
            Assert.True(pool.TryAllocate(i, null, out _));
        }

        Assert.False(pool.TryAllocate(2, null, out _));

        Assert.Equal(3, locks.Max(l => l.MostHeldWithOthers));
        Assert.All(locks, l => Assert.False(l.Held));
        Assert.True(locks.All(l => l.EnteredInOrder), "every lock was taken in increasing shard order");
    }

    private static CountingLock Add(List<CountingLock> locks, CountingLock created)
    {
        locks.Add(created);
        created.Index = locks.Count - 1;
        return created;
    }

    private static string Describe(ShardedSlotAllocator pool) =>
        string.Join(" | ", Enumerable.Range(0, pool.Capacity).Select(slot => pool.GetSlotState(slot).ToString()))
        + $" | warm {string.Join(",", Enumerable.Range(0, pool.ShardCount).Select(shard => string.Join(" ", pool.GetWarmList(shard))))}"
        + $" | {pool.UnusedBytesResident} B";

    /// <summary>A lock that counts entries, refuses nesting, and (given its siblings) records how many were held together and in what order.</summary>
    private sealed class CountingLock(List<CountingLock>? siblings = null) : IAllocatorLock
    {
        public int Index { get; set; }

        public bool Held { get; private set; }

        public int Entered { get; private set; }

        public int MostHeldWithOthers { get; private set; }

        public bool EnteredInOrder { get; private set; } = true;

        public void Enter()
        {
            Assert.False(Held, "a lock was entered while held");
            if (siblings is not null)
            {
                // Deadlock freedom: nobody takes a lock while holding one of a higher shard.
                EnteredInOrder &= siblings.Where(other => other.Held).All(other => other.Index < Index);
            }

            Held = true;
            Entered++;
            MostHeldWithOthers = Math.Max(MostHeldWithOthers, siblings?.Count(other => other.Held) ?? 1);
        }

        public void Exit()
        {
            Assert.True(Held, "a lock was exited while not held");
            Held = false;
        }
    }
}
