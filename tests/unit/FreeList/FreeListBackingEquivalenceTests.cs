using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Tests.Unit.Reliability;

namespace Veralloc.Tests.Unit.FreeList;

/// <summary>
/// The free list reads and writes a native or slab memory directly (docs/design-notes/0014), and any other memory
/// through <see cref="ILinearMemory"/>. The walk is the same generic code either way; this test drives every
/// backing with one seeded sequence of operations, some right after a hostile word was written into a free node,
/// and requires the same outcome, the same list and the same bytes at every step, while the interface run, behind
/// <see cref="GuardedMemory"/>, proves that no access left the heap.
/// </summary>
public sealed class FreeListBackingEquivalenceTests
{
    private const int MaxPages = 4;

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 3)]
    [InlineData(true, 4)]
    public void DirectAndInterfaceBackingsTakeTheSameDecisions(bool checkedMode, int seed)
    {
        var random = new Random(seed);
        var options = new FreeListOptions { CheckedMode = checkedMode };
        int corruptionsRejected = 0;
        int corruptionsActedOn = 0;
        while (corruptionsRejected + corruptionsActedOn < 40)
        {
            var guarded = new GuardedMemory(new SlabLinearMemory(MaxPages));
            using var native = new NativeLinearMemory(MaxPages);
            ILinearMemory[] memories = [guarded, new SlabLinearMemory(MaxPages), native, new FaultInjectingMemory(new SlabLinearMemory(MaxPages))];
            FreeListAllocator[] allocators = [.. memories.Select(memory => new FreeListAllocator(memory, options))];
            var live = new List<(long Offset, long Size, long Alignment)>();
            for (int step = 0; step < 400; step++)
            {
                long savedWord = 0;
                long corruptedWord = -1;
                if (random.Next(10) == 0 && allocators[0].FreeBlockCount > 0)
                {
                    IReadOnlyList<AddressRange> blocks = allocators[0].GetFreeBlocks();
                    AddressRange block = blocks[random.Next(blocks.Count)];
                    corruptedWord = block.Start + (random.Next(2) * LinearMemory.WordBytes);
                    savedWord = guarded.ReadWord(corruptedWord);
                    long value = HostileWord(random, block, allocators[0].HeapBytes);
                    foreach (ILinearMemory memory in memories)
                    {
                        memory.WriteWord(corruptedWord, value);
                    }
                }

                string[] outcomes = RandomOperation(random, allocators, live);
                Assert.All(outcomes, outcome => Assert.Equal(outcomes[0], outcome));
                Assert.Empty(guarded.StrayAccesses);
                Assert.All(allocators, allocator => Assert.Equal(Blocks(allocators[0]), Blocks(allocator)));
                byte[] bytes = guarded.GetSpan(0, (int)guarded.SizeBytes).ToArray();
                Assert.All(memories, memory => Assert.Equal(bytes, memory.GetSpan(0, (int)memory.SizeBytes).ToArray()));
                if (corruptedWord < 0)
                {
                    continue;
                }

                if (outcomes[0].Contains("Exception: ", StringComparison.Ordinal))
                {
                    // Rejected with nothing changed: putting the word back restores a healthy list.
                    corruptionsRejected++;
                    foreach (ILinearMemory memory in memories)
                    {
                        memory.WriteWord(corruptedWord, savedWord);
                    }
                }
                else
                {
                    // Harmless, or acted on (note 0007's blind spots): either way this fixture is done.
                    corruptionsActedOn++;
                    break;
                }
            }
        }

        Assert.True(corruptionsRejected > 0, "the sequence must include corruptions the walks reject");
    }

    private static string[] RandomOperation(Random random, FreeListAllocator[] allocators, List<(long Offset, long Size, long Alignment)> live)
    {
        if (random.Next(100) < 55 || live.Count == 0)
        {
            long size = random.Next(1, 3_000);
            long alignment = 1L << random.Next(0, 9);
            long[] offsets = new long[allocators.Length];
            string[] outcomes = [.. allocators.Select((allocator, i) => Outcome(() => allocator.TryAllocate(size, alignment, out offsets[i]) ? $"at {offsets[i]}" : "false"))];
            if (outcomes[0].StartsWith("at ", StringComparison.Ordinal))
            {
                live.Add((offsets[0], size, alignment));
            }

            return outcomes;
        }

        int index = random.Next(live.Count);
        (long offset, long size, long alignment) block = live[index];
        string[] freeOutcomes = [.. allocators.Select(allocator => Outcome(() =>
        {
            allocator.Free(block.offset, block.size, block.alignment);
            return "freed";
        }))];
        if (freeOutcomes[0] == "freed")
        {
            live.RemoveAt(index);
        }

        return freeOutcomes;
    }

    private static string Blocks(FreeListAllocator allocator) =>
        Outcome(() => string.Join(",", allocator.GetFreeBlocks().Select(block => $"{block.Start}+{block.Size}")));

    private static string Outcome(Func<string> operation)
    {
        try
        {
            return operation();
        }
        catch (Exception e) when (e is InvariantViolationException or ArgumentException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private static long HostileWord(Random random, AddressRange block, long heapBytes) => random.Next(8) switch
    {
        0 => -1,
        1 => block.Start,
        2 => block.Start + FreeListAllocator.NodeBytes,
        3 => heapBytes,
        4 => 1L << 40,
        5 => long.MaxValue,
        6 => long.MinValue,
        _ => block.Size + (FreeListAllocator.NodeBytes * random.Next(-2, 3)),
    };
}
