using Veralloc.Systematic;

namespace Veralloc.Tests.Systematic.Engine;

/// <summary>Small programs with known behaviour, used to test the engine itself.</summary>
internal static class ToyPrograms
{
    /// <summary>Two threads increment a counter: read in one critical section, write in another (a lost update).</summary>
    public static Action<SystematicContext> LostUpdate(bool fixedVersion = false) => ctx =>
    {
        var gate = ctx.CreateLock("counter");
        var counter = 0;
        for (var i = 0; i < 2; i++)
        {
            ctx.Spawn($"inc{i}", () =>
            {
                Scheduler.Describe("increment");
                gate.Enter();
                var seen = counter;
                if (fixedVersion)
                {
                    counter = seen + 1;
                }

                gate.Exit();
                if (!fixedVersion)
                {
                    gate.Enter();
                    counter = seen + 1;
                    gate.Exit();
                }
            });
        }

        ctx.AtQuiescence("both increments counted", () => counter == 2);
    };

    /// <summary>Two threads take two locks in opposite orders.</summary>
    public static Action<SystematicContext> LockOrderInversion => ctx =>
    {
        var a = ctx.CreateLock("A");
        var b = ctx.CreateLock("B");
        ctx.Spawn("ab", () =>
        {
            a.Enter();
            b.Enter();
            b.Exit();
            a.Exit();
        });
        ctx.Spawn("ba", () =>
        {
            b.Enter();
            a.Enter();
            a.Exit();
            b.Exit();
        });
    };

    /// <summary>Each thread waits, politely, for the other to go first: neither ever does.</summary>
    public static Action<SystematicContext> PoliteLivelock => ctx =>
    {
        var gate = ctx.CreateLock("turn");
        var waiting = new bool[2];
        for (var i = 0; i < 2; i++)
        {
            var me = i;
            ctx.Spawn($"polite{me}", () =>
            {
                gate.Enter();
                waiting[me] = true;
                gate.Exit();
                while (true)
                {
                    gate.Enter();
                    var otherWaits = waiting[1 - me];
                    gate.Exit();
                    if (!otherWaits)
                    {
                        break;
                    }
                }
            });
        }
    };

    /// <summary>Two threads, each taking and releasing one lock once: the DFS count example.</summary>
    public static Action<SystematicContext> TwoThreadsOneLockPair => ctx =>
    {
        var gate = ctx.CreateLock("L");
        ctx.Spawn("p", () =>
        {
            gate.Enter();
            gate.Exit();
        });
        ctx.Spawn("q", () =>
        {
            gate.Enter();
            gate.Exit();
        });
    };

    /// <summary>A parent spawns a child, adds its own part, joins the child and checks the sum.</summary>
    public static void ForkJoinSum(SystematicContext ctx)
    {
        var gate = ctx.CreateLock("sum");
        var sum = 0;
        ctx.Spawn("parent", () =>
        {
            var child = ctx.Spawn("child", () =>
            {
                gate.Enter();
                sum += 2;
                gate.Exit();
            });
            gate.Enter();
            sum += 1;
            gate.Exit();
            child.Join();
            Scheduler.Assert(sum == 3, "after the join the child's addition is visible");
        });
        ctx.AtQuiescence("sum", () => sum == 3);
    }
}
