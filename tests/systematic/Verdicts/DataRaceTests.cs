using Veralloc.Scenarios.Slots;
using Veralloc.Systematic;
using Xunit.Abstractions;

namespace Veralloc.Tests.Systematic.Verdicts;

/// <summary>
/// <see cref="Shared{T}"/> accesses feed a happens-before (vector clock) detector: a race is reported in the first
/// schedule where both accesses happen, whatever their order; every synchronization edge the engine controls orders
/// accesses, so correctly synchronized programs pass.
/// </summary>
public sealed class DataRaceTests(ITestOutputHelper output)
{
    private static readonly TestOptions s_dfs = new() { Strategy = StrategyKind.Dfs, PreemptionBound = null, Iterations = 20_000, TraceDirectory = null };

    [Fact]
    public void AnUnprotectedReadModifyWriteIsARaceInTheFirstSchedule()
    {
        static void Scenario(SystematicContext ctx)
        {
            var x = ctx.CreateShared("x", 0);
            for (var i = 0; i < 2; i++)
            {
                ctx.Spawn($"inc{i}", () =>
                {
                    var v = x.Value;
                    x.Value = v + 1;
                });
            }
        }

        var result = SystematicTest.Run(s_dfs, Scenario);
        var bug = Assert.IsType<BugReport>(result.Bug);
        output.WriteLine(bug.Format());
        Assert.Equal(BugKind.DataRace, bug.Kind);
        Assert.Equal(1, result.Statistics.Iterations); // no interleaving needed: the accesses are unordered
        Assert.Contains("data race on 'x'", bug.Message, StringComparison.Ordinal);
        Assert.Contains("t0 'inc0'", bug.Message, StringComparison.Ordinal);
        Assert.Contains(bug.Steps, step => step is { Kind: StepKind.Write, Target: "x", ThreadName: "inc0" });
        Assert.Contains(bug.Steps, step => step is { Kind: StepKind.Read, Target: "x", ThreadName: "inc1" });

        var replayed = SystematicTest.Replay(ScheduleTrace.Parse(bug.Trace.ToText()), Scenario);
        Assert.Equal(bug.Message, replayed.Bug?.Message);
    }

    public static TheoryData<string> Edges => ["lock", "join", "spawn", "semaphore", "event", "condition", "await"];

    /// <summary>Each happens-before edge, on its own, orders a write before a read in another thread.</summary>
    [Theory]
    [MemberData(nameof(Edges))]
    public void EverySynchronizationEdgeOrdersAccesses(string edge)
    {
        var result = SystematicTest.Run(s_dfs, Ordered(edge, synchronized: true));
        output.WriteLine(result.ToString());
        Assert.False(result.BugFound, result.ToString());
        Assert.True(result.Statistics.SpaceExhausted);
    }

    /// <summary>Without the edge the same accesses race.</summary>
    [Theory]
    [MemberData(nameof(Edges))]
    public void WithoutTheEdgeTheSameAccessesRace(string edge)
    {
        var result = SystematicTest.Run(s_dfs, Ordered(edge, synchronized: false));
        Assert.Equal(BugKind.DataRace, result.Bug?.Kind);
    }

    [Fact]
    public void TheExhaustionScenarioCountsUnderItsLockAndRacesWithoutIt()
    {
        var correct = SystematicTest.Run(s_dfs with { PreemptionBound = 2 }, SlotScenarios.Exhaustion(SlotScenarios.Real));
        output.WriteLine(correct.ToString());
        Assert.False(correct.BugFound, correct.ToString());
        Assert.True(correct.Statistics.SpaceExhausted);

        var unlocked = SystematicTest.Run(s_dfs with { PreemptionBound = 2 }, SlotScenarios.Exhaustion(SlotScenarios.Real, lockTheTally: false));
        var bug = Assert.IsType<BugReport>(unlocked.Bug);
        output.WriteLine(bug.Format(maxSteps: 20));
        Assert.Equal(BugKind.DataRace, bug.Kind);
        Assert.Contains("'successes'", bug.Message, StringComparison.Ordinal);
    }

    private static Action<SystematicContext> Ordered(string edge, bool synchronized) => ctx =>
    {
        var data = ctx.CreateShared("data", 0);
        var gate = ctx.CreateLock("gate");
        var semaphore = ctx.CreateSemaphore("sem", 0);
        var signal = ctx.CreateEvent("evt");
        var condition = ctx.CreateCondition("cond", gate);
        var written = false;
        void Read() => Scheduler.Assert(data.Value is 0 or 1, "the value is one that was written");
        switch (edge)
        {
            case "lock":
                ctx.Spawn("writer", () =>
                {
                    Enter();
                    data.Value = 1;
                    Exit();
                });
                ctx.Spawn("reader", () =>
                {
                    Enter();
                    Read();
                    Exit();
                });
                break;
            case "join":
                ctx.Spawn("reader", () =>
                {
                    var writer = ctx.Spawn("writer", () => data.Value = 1);
                    if (synchronized)
                    {
                        writer.Join();
                    }

                    Read();
                });
                break;
            case "spawn":
                ctx.Spawn("writer", () =>
                {
                    data.Value = 1;
                    ctx.Spawn("reader", Read);
                    if (!synchronized)
                    {
                        data.Value = 2;
                    }
                });
                break;
            case "semaphore":
                SignalThenRead(() => semaphore.Release(), semaphore.Wait);
                break;
            case "event":
                SignalThenRead(signal.Set, signal.Wait);
                break;
            case "condition":
                ctx.Spawn("writer", () =>
                {
                    data.Value = 1; // outside the lock: only the pulse can order it
                    gate.Enter();
                    written = true;
                    condition.Pulse();
                    gate.Exit();
                });
                ctx.Spawn("reader", () =>
                {
                    gate.Enter();
                    while (synchronized && !written)
                    {
                        condition.Wait();
                    }

                    gate.Exit();
                    Read();
                });
                break;
            default:
                var writerThread = ctx.Spawn("writer", () => data.Value = 1);
                ctx.Spawn("reader", async () =>
                {
                    if (synchronized)
                    {
                        await writerThread.Completion;
                    }

                    Read();
                });
                break;
        }

        void SignalThenRead(Action signalAfterWrite, Action waitBeforeRead)
        {
            ctx.Spawn("writer", () =>
            {
                data.Value = 1;
                signalAfterWrite();
            });
            ctx.Spawn("reader", () =>
            {
                if (synchronized)
                {
                    waitBeforeRead();
                }

                Read();
            });
        }

        void Enter()
        {
            if (synchronized)
            {
                gate.Enter();
            }
        }

        void Exit()
        {
            if (synchronized)
            {
                gate.Exit();
            }
        }
    };
}
