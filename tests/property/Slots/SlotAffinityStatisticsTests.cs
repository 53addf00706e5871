using Veralloc.Allocators.Slots;
using Xunit.Abstractions;

namespace Veralloc.Tests.Property.Slots;

/// <summary>
/// The behaviour §3's authors rely on: under random alloc/free with 10 keys over 1000 slots (threshold 1000), an
/// allocation for key k gets a slot whose previous affinity was k well above the 10% of random choice (> 20%).
/// </summary>
public sealed class SlotAffinityStatisticsTests(ITestOutputHelper output)
{
    private const int Keys = 10;
    private const int Capacity = 1000;
    private const int Steps = 100_000;
    private const int Seed = 20261123;

    [Fact]
    public void SameKeyReuseIsAtLeastTwiceRandomChance()
    {
        var pool = new SlotAllocator(Capacity, maxUnusedWarm: Capacity);
        var random = new Random(Seed);
        var used = new List<int>();
        var previousKey = new int[Capacity];
        Array.Fill(previousKey, -1);
        int keyedAllocations = 0, reuses = 0;

        for (int step = 0; step < Steps; step++)
        {
            if (used.Count == 0 || (used.Count < Capacity && random.Next(2) == 0))
            {
                int key = random.Next(Keys);
                Assert.True(pool.TryAllocate(new SlotAffinity(key, 0), out int slot));
                keyedAllocations++;

                // Reuse: the slot's previous affinity (the key it last served) is this key.
                if (previousKey[slot] == key)
                {
                    reuses++;
                }

                previousKey[slot] = key;
                used.Add(slot);
            }
            else
            {
                int index = random.Next(used.Count);
                int slot = used[index];
                used[index] = used[^1];
                used.RemoveAt(used.Count - 1);
                pool.Free(slot, random.Next(1 << 16));
            }

            if (step % 10_000 == 0)
            {
                pool.CheckInvariants();
            }
        }

        pool.CheckInvariants();
        double hitRate = (double)reuses / keyedAllocations;
        output.WriteLine($"same-key reuse {reuses}/{keyedAllocations} = {hitRate:P1}");
        Assert.True(hitRate > 0.20, $"same-key reuse {reuses}/{keyedAllocations} = {hitRate:P1} (seed {Seed}); expected > 20% (random chance is 10%)");
    }
}
