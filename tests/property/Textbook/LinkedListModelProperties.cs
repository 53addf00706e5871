using Veralloc.Allocators.Memory;
using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;
using Veralloc.Tests.Property.Models;
using static Veralloc.Tests.Property.Textbook.AllocationScripts;

namespace Veralloc.Tests.Property.Textbook;

/// <summary>
/// Random scripts against <see cref="LinkedListModel"/> (checked frees off and on): after every step the exact
/// offsets and the whole free list (order and contents) agree, CheckInvariants passes, the counters conserve the
/// memory, and every live allocation's byte pattern is intact (nodes are written only into free memory). At the end
/// everything is freed and the regions add up to the whole memory. Not covered: bad input and corruption (unit tests).
/// </summary>
public sealed class LinkedListModelProperties
{
    [Fact]
    public void AllocatorMatchesTheModelAfterEveryStep()
    {
        long steps = 0, failures = 0, skippedRegions = 0;

        GuardedProperty.Check("Linked list", Scripts(maxLength: 150, knobMin: 0, knobMax: 1), script =>
        {
            var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
            var allocator = new LinkedListAllocator(memory, checkFrees: script.Knob == 1);
            var model = new LinkedListModel(memory.SizeBytes);
            var live = new List<LiveAllocation>();
            for (int step = 0; step < script.Commands.Length; step++)
            {
                AllocationCommand command = script.Commands[step];
                string where = $"step {step} ({command})";
                if (command is AllocationCommand.Allocate(long size, long alignment))
                {
                    AddressRange? head = model.Regions.Count > 0 ? model.Regions[0] : null;
                    bool ok = allocator.TryAllocate(size, alignment, out long offset);
                    long? expected = model.Allocate(size, alignment);
                    Require(ok == expected.HasValue && (!ok || offset == expected), where, $"allocator gave {(ok ? offset : "failure")}, model {expected?.ToString() ?? "failure"}");
                    failures += ok ? 0 : 1;
                    skippedRegions += ok && head is { } first && (offset < first.Start || offset >= first.End) ? 1 : 0;
                    if (ok)
                    {
                        Track(live, memory, step, offset, size, alignment);
                    }
                }
                else if (command is AllocationCommand.Free(int index) && live.Count > 0)
                {
                    LiveAllocation victim = TakeVictim(live, index, memory, where);
                    allocator.Free(victim.Offset, victim.Size, victim.Alignment);
                    model.Free(victim.Offset, victim.Size);
                }

                AfterStep(allocator, model, memory, live, where);
                steps++;
            }

            foreach (LiveAllocation allocation in live)
            {
                allocator.Free(allocation.Offset, allocation.Size, allocation.Alignment);
                model.Free(allocation.Offset, allocation.Size);
            }

            AfterStep(allocator, model, memory, [], "end");
            Require(allocator.FreeBytes == memory.SizeBytes && allocator.LiveBytes == 0, "end", $"free {allocator.FreeBytes}, live {allocator.LiveBytes} after freeing everything");
        }, maxTest: 200);

        Assert.True(steps >= 5000, $"only {steps} steps ran");
        Assert.True(failures >= 20, $"only {failures} failed allocations");
        Assert.True(skippedRegions >= 100, $"only {skippedRegions} allocations skipped the head region");
    }

    private static void AfterStep(LinkedListAllocator allocator, LinkedListModel model, SlabLinearMemory memory, List<LiveAllocation> live, string where)
    {
        CheckInvariants(allocator, where);
        var regions = new List<AddressRange>();
        allocator.CopyFreeRegions(regions);
        Require(regions.SequenceEqual(model.Regions), where, $"free list {string.Join(",", regions)}, model {string.Join(",", model.Regions)}");
        long liveBytes = live.Sum(allocation => LinkedListModel.Full(allocation.Size));
        Require(allocator.LiveBytes == liveBytes && allocator.FreeBytes + liveBytes == memory.SizeBytes, where,
            $"free {allocator.FreeBytes} + live {allocator.LiveBytes} (model live {liveBytes}) must be {memory.SizeBytes}");
        foreach (LiveAllocation allocation in live)
        {
            allocation.Verify(memory, where);
        }
    }
}
