using System.Collections.Concurrent;
using System.Diagnostics;
using Veralloc.Allocators.Slots;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>
/// Real threads on one sharded pool with the production locks: each thread allocates from its own home shard or a
/// random one, frees one at a time or in batches, and claims every slot in a shared ownership table with a
/// compare-and-swap, so two threads holding one global id at once is caught (SLOT-EXCLUSIVE across shards); the
/// exhaustion step, batch frees and snapshots take several locks at once, so a lock-order mistake shows as a hang.
/// Sampling proves nothing about the interleavings it misses; the systematic scenarios explore small ones.
/// </summary>
public sealed class ShardedSlotAllocatorStressTests
{
    private const int Threads = 4;
    private const int OperationsPerThread = 100_000;
    private static readonly TimeSpan TimeCap = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(16, 4, 16)]
    [InlineData(8, 2, 0)]
    [InlineData(5, 3, 2)]
    public void ConcurrentUseNeverSharesASlotAndEndsConsistent(int capacity, int shardCount, int threshold)
    {
        var pool = new ShardedSlotAllocator(capacity, shardCount, threshold);
        var owner = new int[capacity];
        var failures = new ConcurrentQueue<string>();
        long completed = 0;
        using var start = new Barrier(Threads);
        var clock = Stopwatch.StartNew();
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int threadId = t;
            workers[t] = new Thread(() =>
            {
                var random = new Random(4321 + threadId);
                var held = new List<int>();
                start.SignalAndWait();
                try
                {
                    int op = 0;
                    for (; op < OperationsPerThread && failures.IsEmpty && ((op & 1023) != 0 || clock.Elapsed < TimeCap); op++)
                    {
                        int choice = random.Next(12);
                        if (choice < 6 || held.Count == 0)
                        {
                            var key = new SlotAffinity(random.Next(4), 0);
                            bool got = choice == 0 ? pool.TryAllocate(random.Next(shardCount), key, out int slot) : pool.TryAllocate(key, out slot);
                            if (got)
                            {
                                int previous = Interlocked.CompareExchange(ref owner[slot], threadId + 1, 0);
                                if (previous != 0)
                                {
                                    failures.Enqueue($"{SlotInvariantIds.Exclusive}: thread {threadId} was handed slot {slot}, still held by thread {previous - 1}");
                                }

                                held.Add(slot);
                            }
                        }
                        else if (choice < 10)
                        {
                            Release(held, count: 1);
                        }
                        else if (choice == 10)
                        {
                            Release(held, count: Math.Min(held.Count, 3));
                        }
                        else
                        {
                            _ = pool.EmptySlotCount;
                        }
                    }

                    Release(held, held.Count);
                    Interlocked.Add(ref completed, op);
                }
                catch (Exception error)
                {
                    failures.Enqueue($"thread {threadId}: {error}");
                }

                void Release(List<int> held, int count)
                {
                    if (count == 0)
                    {
                        return;
                    }

                    int[] batch = held.GetRange(held.Count - count, count).ToArray();
                    held.RemoveRange(held.Count - count, count);
                    foreach (int slot in batch)
                    {
                        // Released before the free: once freed, another thread may legitimately be handed the slot.
                        int previous = Interlocked.CompareExchange(ref owner[slot], 0, threadId + 1);
                        if (previous != threadId + 1)
                        {
                            failures.Enqueue($"{SlotInvariantIds.Exclusive}: thread {threadId} freed slot {slot}, but the table says thread {previous - 1} held it");
                        }
                    }

                    if (batch.Length == 1)
                    {
                        pool.Free(batch[0], batch[0]);
                    }
                    else
                    {
                        pool.FreeMany(batch, batch.Select(slot => (long)slot).ToArray());
                    }
                }
            });
        }

        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            Assert.True(worker.Join(TimeSpan.FromSeconds(30)), "a worker did not finish: a lock-order deadlock?");
        }

        Assert.Empty(failures);
        Assert.True(completed >= Threads * 1000, $"only {completed} operations ran");
        Assert.All(owner, o => Assert.Equal(0, o));
        Assert.True(pool.IsEmpty);
        Assert.Equal(capacity, pool.EmptySlotCount);
        pool.CheckInvariants();
    }
}
