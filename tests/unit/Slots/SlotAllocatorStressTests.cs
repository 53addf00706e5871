using System.Collections.Concurrent;
using System.Diagnostics;
using Veralloc.Allocators.Slots;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Tests.Unit.Slots;

/// <summary>
/// Real threads on one pool with the production <c>ThreadingLock</c>. Exercises SLOT-EXCLUSIVE (no slot id is handed
/// out twice while Used): every thread claims a slot in a shared ownership table with a compare-and-swap on
/// allocation and releases it before freeing; a failed swap means two threads held the slot at once. This samples
/// interleavings and proves nothing about the others; the systematic engine explores them under a controlled lock.
/// </summary>
public sealed class SlotAllocatorStressTests
{
    private const int Threads = 4;
    private const int OperationsPerThread = 100_000;
    private static readonly TimeSpan TimeCap = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(16, 0)]
    [InlineData(16, 4)]
    [InlineData(16, 16)]
    [InlineData(3, 1)]
    public void ConcurrentAllocAndFreeNeverShareASlot(int capacity, int threshold)
    {
        var pool = new SlotAllocator(capacity, threshold);
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
                var random = new Random(1234 + threadId);
                var held = new List<int>();
                start.SignalAndWait();
                try
                {
                    Run(random, held);
                }
                catch (Exception error)
                {
                    // Reported by the test, not by a crashed test host.
                    failures.Enqueue($"thread {threadId}: {error}");
                }
            });

            void Run(Random random, List<int> held)
            {
                int op = 0;
                for (; op < OperationsPerThread && failures.IsEmpty; op++)
                {
                    if ((op & 1023) == 0 && clock.Elapsed > TimeCap)
                    {
                        break;
                    }

                    int choice = random.Next(10);
                    if (choice < 5 || held.Count == 0)
                    {
                        var key = random.Next(5) is int k && k < 4 ? new SlotAffinity(k, 0) : (SlotAffinity?)null;
                        bool got = choice == 9 && key is SlotAffinity affine
                            ? pool.TryAllocateAffineAndClear(affine, out int slot)
                            : pool.TryAllocate(key, out slot);
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
                    else if (choice < 9)
                    {
                        Release(held, random.Next(held.Count), random.Next(1 << 16));
                    }
                    else
                    {
                        pool.CheckInvariants();
                    }
                }

                while (held.Count > 0)
                {
                    Release(held, held.Count - 1, 0);
                }

                Interlocked.Add(ref completed, op);
            }

            void Release(List<int> held, int index, long bytes)
            {
                int slot = held[index];
                held[index] = held[^1];
                held.RemoveAt(held.Count - 1);

                // Released before Free: once freed, another thread may legitimately be handed the slot.
                int previous = Interlocked.CompareExchange(ref owner[slot], 0, threadId + 1);
                if (previous != threadId + 1)
                {
                    failures.Enqueue($"{SlotInvariantIds.Exclusive}: thread {threadId} freed slot {slot}, but the table says thread {previous - 1} held it");
                }

                pool.Free(slot, bytes);
            }
        }

        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            Assert.True(worker.Join(TimeSpan.FromSeconds(30)), "a worker did not finish: deadlock?");
        }

        Assert.Empty(failures);
        Assert.True(completed >= Threads * 1000, $"only {completed} operations ran");
        Assert.All(owner, o => Assert.Equal(0, o));
        Assert.True(pool.IsEmpty);
        Assert.Equal(capacity, pool.EmptySlotCount);
        Assert.Equal(pool.UnusedWarmCount, pool.GetWarmList().Length);
        pool.CheckInvariants();
    }
}
