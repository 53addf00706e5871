using Veralloc.Allocators;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Allocators.Textbook;
using Veralloc.Tests.Property.Models;
using static Veralloc.Tests.Property.Textbook.AllocationScripts;

namespace Veralloc.Tests.Property.Textbook;

/// <summary>
/// Random scripts against <see cref="FixedSizeBlockModel"/> with each fallback (0: linked list, 1: bump, 2: segregated
/// fit, 3: the §1 free list, which grows the slab itself) over the same slab: after every step CheckInvariants (the class lists and the fallback's), the exact offset
/// whenever the class list is non-empty, class alignment, the list lengths, and every live allocation's byte pattern
/// (so no two live allocations overlap and no link is written into a live block). At the end everything is freed.
/// Not covered: bad input and corruption (unit tests).
/// </summary>
public sealed class FixedSizeBlockModelProperties
{
    private static readonly long[] s_classes = [8, 16, 32, 64, 128, 256, 512, 1024, 2048];

    [Fact]
    public void AllocatorMatchesTheModelAfterEveryStepWithEveryFallback()
    {
        long steps = 0, reused = 0, forwarded = 0, failures = 0;

        GuardedProperty.Check("Fixed-size blocks", Scripts(maxLength: 150, knobMin: 0, knobMax: 3), script =>
        {
            var memory = new SlabLinearMemory(maxPages: 1, initialPages: script.Knob == 3 ? 0 : 1);
            IOffsetAllocator fallback = script.Knob switch
            {
                0 => new LinkedListAllocator(memory),
                1 => new BumpAllocator(0, memory.SizeBytes, trackAllocations: true),
                2 => new SegregatedFitAllocator(memory.SizeBytes),
                _ => new FreeListAllocator(memory, new FreeListOptions { CheckedMode = true }),
            };
            var allocator = new FixedSizeBlockAllocator(fallback, memory);
            var model = new FixedSizeBlockModel();
            var live = new List<LiveAllocation>();
            for (int step = 0; step < script.Commands.Length; step++)
            {
                AllocationCommand command = script.Commands[step];
                string where = $"step {step} ({command})";
                if (command is AllocationCommand.Allocate(long size, long alignment))
                {
                    long classBytes = FixedSizeBlockModel.ClassOf(size, alignment);
                    bool ok = allocator.TryAllocate(size, alignment, out long offset);
                    long? expected = model.Allocate(size, alignment);
                    Require(expected is null || (ok && offset == expected), where, $"allocator gave {(ok ? offset : "failure")}, model popped {expected}");
                    reused += expected is null ? 0 : 1;
                    forwarded += classBytes == 0 ? 1 : 0;
                    failures += ok ? 0 : 1;
                    if (ok)
                    {
                        Require(offset % Math.Max(classBytes, alignment) == 0, where, $"offset {offset} is not aligned to class {classBytes} / alignment {alignment}");
                        Track(live, memory, step, offset, size, alignment);
                    }
                }
                else if (command is AllocationCommand.Free(int index) && live.Count > 0)
                {
                    LiveAllocation victim = TakeVictim(live, index, memory, where);
                    allocator.Free(victim.Offset, victim.Size, victim.Alignment);
                    model.Free(victim.Offset, victim.Size, victim.Alignment);
                }

                AfterStep(allocator, model, memory, live, where);
                steps++;
            }

            foreach (LiveAllocation allocation in live)
            {
                allocation.Verify(memory, "end");
                allocator.Free(allocation.Offset, allocation.Size, allocation.Alignment);
                model.Free(allocation.Offset, allocation.Size, allocation.Alignment);
            }

            AfterStep(allocator, model, memory, [], "end");
        }, maxTest: 200);

        Assert.True(steps >= 5000, $"only {steps} steps ran");
        Assert.True(reused >= 500, $"only {reused} allocations reused a class block");
        Assert.True(forwarded >= 50, $"only {forwarded} requests went to the fallback directly");
        Assert.True(failures >= 10, $"only {failures} failed allocations");
    }

    private static void AfterStep(FixedSizeBlockAllocator allocator, FixedSizeBlockModel model, SlabLinearMemory memory, List<LiveAllocation> live, string where)
    {
        CheckInvariants(allocator, where);
        foreach (long classBytes in s_classes)
        {
            Require(allocator.FreeBlocksInClass(classBytes) == model.Listed(classBytes), where,
                $"class {classBytes} lists {allocator.FreeBlocksInClass(classBytes)} blocks, model {model.Listed(classBytes)}");
        }

        foreach (LiveAllocation allocation in live)
        {
            allocation.Verify(memory, where);
        }
    }
}
