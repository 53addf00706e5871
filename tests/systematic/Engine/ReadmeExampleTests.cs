using Veralloc.Allocators.Slots;
using Veralloc.Scenarios;
using Veralloc.Systematic;

namespace Veralloc.Tests.Systematic.Engine;

/// <summary>
/// The code shown in README.md, "Systematic testing of your own code", kept compiling and true here:
/// a documented example that no longer works is a bug.
/// </summary>
public sealed class ReadmeExampleTests
{
    /// <summary>The user's own code: a counter whose increment is a read and a write in two critical sections.</summary>
    private sealed class SplitCounter(ControlledLock gate)
    {
        public int Value { get; private set; }

        public void Increment()
        {
            gate.Enter();
            int seen = Value;
            gate.Exit();
            gate.Enter();
            Value = seen + 1;
            gate.Exit();
        }
    }

    [Fact]
    public void TheEngineFindsTheLostUpdateAndTheTraceReplaysIt()
    {
        // README: begin user example
        var options = new TestOptions { Strategy = StrategyKind.Pct, Iterations = 1000, Seed = 1, TraceDirectory = null };
        void Scenario(SystematicContext ctx)
        {
            var counter = new SplitCounter(ctx.CreateLock("counter"));
            ctx.Spawn("t1", counter.Increment);
            ctx.Spawn("t2", counter.Increment);
            ctx.AtQuiescence("both increments counted", () => counter.Value == 2);
        }

        TestResult result = SystematicTest.Run(options, Scenario);
        // README: end user example

        Assert.True(result.BugFound, result.ToString());
        Assert.Contains("both increments counted", result.Bug!.Format(), StringComparison.Ordinal);
        Assert.Throws<BugFoundException>(result.ThrowIfBugFound);
        TestResult replay = SystematicTest.Replay(result.Bug.Trace, Scenario);
        Assert.True(replay.BugFound);
    }

    [Fact]
    public void TheSlotAllocatorRunsUnderTheEngineThroughItsLockSeam()
    {
        var options = new TestOptions { Strategy = StrategyKind.Random, Iterations = 200, Seed = 7, TraceDirectory = null };
        SystematicTest.Run(options, ctx =>
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
        }).ThrowIfBugFound();
    }
}
