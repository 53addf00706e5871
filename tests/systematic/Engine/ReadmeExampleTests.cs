using Veralloc.Allocators.Slots;
using Veralloc.Systematic.Allocators;
using Veralloc.Systematic;

namespace Veralloc.Tests.Systematic.Engine;

/// <summary>
/// README.md's claim that the production slot allocator runs under the engine through its lock seam, kept true
/// here (the README's own C# blocks are compiled and run by tests/unit/Docs/ReadmeSnippetTests).
/// </summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void TheSlotAllocatorRunsUnderTheEngineThroughItsLockSeam()
    {
        var options = new TestOptions { Strategy = StrategyKind.Random, Iterations = 200, Seed = 7, TraceDirectory = null };
        TestResult result = SystematicTest.Run(options, ctx =>
        {
            var gate = ctx.CreateLock("pool");
            var pool = new SlotAllocator(capacity: 2, maxUnusedWarm: 1, new ControlledAllocatorLock(gate));
            for (int t = 0; t < 2; t++)
            {
                ctx.Spawn($"worker{t}", () =>
                {
                    if (pool.TryAllocate(new SlotAffinity(ModuleId: 1, MemoryIndex: 0), out int slot))
                    {
                        pool.Free(slot, bytesResident: 64);
                    }
                });
            }

            ctx.AddInvariant("slot invariants", pool.CheckInvariants, onlyWhenFree: gate);
            ctx.AtQuiescence("pool empty again", () => pool.IsEmpty);
        });

        result.ThrowIfBugFound();
        // The seam made the allocator's lock operations scheduling points: more than one interleaving was run.
        Assert.True(result.Statistics.DistinctSchedules > 1, result.ToString());
    }
}
