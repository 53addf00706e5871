using Veralloc.Allocators.Memory;
using Veralloc.Allocators.Textbook;
using Veralloc.Tests.Property.Models;
using static Veralloc.Tests.Property.Textbook.AllocationScripts;

namespace Veralloc.Tests.Property.Textbook;

/// <summary>
/// Random scripts against <see cref="BumpModel"/> (tracking off and on): after every step the exact offsets, the
/// cursor and the live count agree, CheckInvariants passes, and every live allocation's byte pattern in a slab is
/// intact. Not covered: bad input and corruption (unit tests).
/// </summary>
public sealed class BumpModelProperties
{
    private const long Start = 96;

    [Fact]
    public void AllocatorMatchesTheModelAfterEveryStep()
    {
        long steps = 0, failures = 0, resets = 0;

        GuardedProperty.Check("Bump", Scripts(maxLength: 150, knobMin: 0, knobMax: 1), script =>
        {
            var memory = new SlabLinearMemory(maxPages: 1, initialPages: 1);
            var bump = new BumpAllocator(Start, memory.SizeBytes, trackAllocations: script.Knob == 1);
            var model = new BumpModel(Start, memory.SizeBytes);
            var live = new List<LiveAllocation>();
            for (int step = 0; step < script.Commands.Length; step++)
            {
                AllocationCommand command = script.Commands[step];
                string where = $"step {step} ({command})";
                if (command is AllocationCommand.Allocate(long size, long alignment))
                {
                    bool ok = bump.TryAllocate(size, alignment, out long offset);
                    long? expected = model.Allocate(size, alignment);
                    Require(ok == expected.HasValue && (!ok || offset == expected), where, $"allocator gave {(ok ? offset : "failure")}, model {expected?.ToString() ?? "failure"}");
                    failures += ok ? 0 : 1;
                    if (ok)
                    {
                        Track(live, memory, step, offset, size, alignment);
                    }
                }
                else if (command is AllocationCommand.Free(int index) && live.Count > 0)
                {
                    LiveAllocation victim = TakeVictim(live, index, memory, where);
                    bump.Free(victim.Offset, victim.Size, victim.Alignment);
                    model.Free();
                    resets += model.Live == 0 ? 1 : 0;
                }

                CheckInvariants(bump, where);
                Require(bump.Next == model.Next && bump.LiveCount == model.Live, where, $"next {bump.Next} live {bump.LiveCount}, model next {model.Next} live {model.Live}");
                foreach (LiveAllocation allocation in live)
                {
                    allocation.Verify(memory, where);
                }

                steps++;
            }
        }, maxTest: 200);

        Assert.True(steps >= 5000, $"only {steps} steps ran");
        Assert.True(failures >= 20, $"only {failures} failed allocations");
        Assert.True(resets >= 20, $"only {resets} resets");
    }
}
