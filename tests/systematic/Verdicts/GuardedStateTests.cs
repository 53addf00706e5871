using Veralloc.Systematic;

namespace Veralloc.Tests.Systematic.Verdicts;

/// <summary>State declared guarded by a lock must change only while the lock is held.</summary>
public sealed class GuardedStateTests
{
    [Theory]
    [InlineData(StrategyKind.Dfs)]
    [InlineData(StrategyKind.Dpor)]
    [InlineData(StrategyKind.Random)]
    public void AChangeAfterTheReleaseIsADataRaceOnTheFirstSchedule(StrategyKind strategy)
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = strategy, Iterations = 100, TraceDirectory = null }, ctx =>
        {
            var gate = ctx.CreateLock("cells");
            var cells = new int[2];
            ctx.AddGuardedState("cells", gate, () => (cells[0] * 31L) + cells[1]);
            ctx.Spawn("early", () =>
            {
                gate.Enter();
                cells[0]++;
                gate.Exit();
                cells[1]++; // outside the lock
            });
            ctx.Spawn("other", () =>
            {
                gate.Enter();
                cells[0]++;
                gate.Exit();
            });
        });

        Assert.Equal(BugKind.DataRace, result.Bug?.Kind);
        Assert.Equal(1, result.Statistics.Iterations);
        Assert.Contains("guarded by lock 'cells'", result.Bug!.Message, StringComparison.Ordinal);
        Assert.Contains("thread 'early'", result.Bug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChangesInsideTheLockAreNeverReported()
    {
        var result = SystematicTest.Run(new TestOptions { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 100_000, TraceDirectory = null }, ctx =>
        {
            var gate = ctx.CreateLock("counter");
            var counter = 0;
            ctx.AddGuardedState("counter", gate, () => counter);
            for (var t = 0; t < 2; t++)
            {
                ctx.Spawn($"inc{t}", () =>
                {
                    for (var i = 0; i < 2; i++)
                    {
                        gate.Enter();
                        counter++;
                        gate.Exit();
                    }
                });
            }
        });

        result.ThrowIfBugFound();
        Assert.True(result.Statistics.SpaceExhausted);
    }

    [Fact]
    public void TheGuardMustBeDeclaredInSetupWithALockOfTheIteration()
    {
        Action<SystematicContext>? leaked = null;
        ControlledLock? other = null;
        SystematicTest.Run(new TestOptions { Iterations = 1, TraceDirectory = null }, ctx => other = ctx.CreateLock("other"));
        var result = Assert.Throws<InvalidOperationException>(() => SystematicTest.Run(new TestOptions { Iterations = 1, TraceDirectory = null }, ctx =>
            ctx.AddGuardedState("state", other!, () => 0)));
        Assert.Contains("another iteration", result.InnerException?.Message ?? result.Message, StringComparison.Ordinal);
        Assert.Null(leaked);
    }
}
