using Veralloc.Systematic;
using Veralloc.Tests.Systematic.Engine;

namespace Veralloc.Tests.Systematic.Dpor;

/// <summary>
/// Small programs that share state only through controlled objects (the model partial-order reduction assumes), with
/// and without bugs, covering every kind of step the dependence relation distinguishes.
/// </summary>
internal static class DporPrograms
{
    public static IReadOnlyDictionary<string, Action<SystematicContext>> All { get; } = new Dictionary<string, Action<SystematicContext>>
    {
        ["lost-update"] = ToyPrograms.LostUpdate(),
        ["lost-update-fixed"] = ToyPrograms.LostUpdate(fixedVersion: true),
        ["lock-order-inversion"] = ToyPrograms.LockOrderInversion,
        ["one-lock-pair"] = ToyPrograms.TwoThreadsOneLockPair,
        ["two-preemption-bug"] = TwoPreemptionBug,
        ["sections-2x3"] = Sections(threads: 2, sections: 3),
        ["sections-3x1"] = Sections(threads: 3, sections: 1),
        ["independent-locks"] = IndependentLocks,
        ["shared-under-lock"] = SharedUnderLock,
        ["shared-unprotected"] = SharedUnprotected,
        ["shared-readers"] = SharedReaders,
        ["oversell"] = Oversell,
        ["semaphore-handoff"] = SemaphoreHandoff,
        ["event-publish"] = EventPublish(setAfterWrite: true),
        ["event-published-early"] = EventPublish(setAfterWrite: false),
        ["condition-queue"] = ConditionQueue,
        ["spawn-join"] = ToyPrograms.ForkJoinSum,
        ["spawn-race"] = SpawnRace,
        ["random-value-bug"] = RandomValueBug,
        ["nested-locks"] = NestedLocks,
        ["three-way-deadlock"] = ThreeWayDeadlock,
        ["async-yield"] = AsyncYield,
        ["writer-two-readers"] = WriterTwoReaders,
    };

    /// <summary>
    /// The writer's three sections must be split exactly as "reader, writer, reader, writer" around the reader's two
    /// reads: the bug needs two preemptions, and schedules with fewer never show it.
    /// </summary>
    private static void TwoPreemptionBug(SystematicContext ctx)
    {
        var gate = ctx.CreateLock("x");
        var x = 0;
        ctx.Spawn("writer", () =>
        {
            for (var value = 1; value <= 3; value++)
            {
                gate.Enter();
                x = value;
                gate.Exit();
            }
        });
        ctx.Spawn("reader", () =>
        {
            gate.Enter();
            var first = x;
            gate.Exit();
            gate.Enter();
            var second = x;
            gate.Exit();
            Scheduler.Assert(!(first == 1 && second == 2), "the reader saw exactly the writer's first two values");
        });
    }

    private static Action<SystematicContext> Sections(int threads, int sections) => ctx =>
    {
        var gate = ctx.CreateLock("L");
        var log = new List<int>();
        for (var t = 0; t < threads; t++)
        {
            var me = t;
            ctx.Spawn($"t{me}", () =>
            {
                for (var s = 0; s < sections; s++)
                {
                    gate.Enter();
                    log.Add(me);
                    gate.Exit();
                }
            });
        }

        ctx.AtQuiescence("every section ran", () => log.Count == threads * sections);
    };

    private static void IndependentLocks(SystematicContext ctx)
    {
        for (var t = 0; t < 2; t++)
        {
            var gate = ctx.CreateLock($"own{t}");
            var count = 0;
            ctx.Spawn($"t{t}", () =>
            {
                gate.Enter();
                count++;
                gate.Exit();
                gate.Enter();
                Scheduler.Assert(count == 1, "a private counter lost an update");
                gate.Exit();
            });
        }
    }

    private static void SharedUnderLock(SystematicContext ctx)
    {
        var gate = ctx.CreateLock("L");
        var total = ctx.CreateShared("total", 0);
        for (var t = 0; t < 2; t++)
        {
            ctx.Spawn($"inc{t}", () =>
            {
                gate.Enter();
                total.Value = total.Value + 1;
                gate.Exit();
            });
        }

        ctx.AtQuiescence("both increments", () => total.Value == 2);
    }

    private static void SharedUnprotected(SystematicContext ctx)
    {
        var total = ctx.CreateShared("total", 0);
        for (var t = 0; t < 2; t++)
        {
            ctx.Spawn($"inc{t}", () => total.Value = total.Value + 1);
        }
    }

    private static void SharedReaders(SystematicContext ctx)
    {
        var config = ctx.CreateShared("config", 42);
        for (var t = 0; t < 3; t++)
        {
            ctx.Spawn($"reader{t}", () =>
            {
                Scheduler.Assert(config.Value == 42, "a reader saw a value nobody wrote");
                Scheduler.Assert(config.Value == 42, "a reader saw a value nobody wrote");
            });
        }
    }

    /// <summary>Two buyers check the stock in one critical section and take it in another: both may buy the last item.</summary>
    private static void Oversell(SystematicContext ctx)
    {
        var gate = ctx.CreateLock("stock");
        var stock = 1;
        for (var t = 0; t < 2; t++)
        {
            ctx.Spawn($"buyer{t}", () =>
            {
                gate.Enter();
                var available = stock > 0;
                gate.Exit();
                if (available)
                {
                    gate.Enter();
                    stock--;
                    gate.Exit();
                }
            });
        }

        ctx.AtQuiescence("never oversold", () => stock >= 0);
    }

    private static void SemaphoreHandoff(SystematicContext ctx)
    {
        var items = ctx.CreateSemaphore("items", 0);
        var gate = ctx.CreateLock("queue");
        var queue = new Queue<int>();
        ctx.Spawn("producer", () =>
        {
            for (var i = 0; i < 2; i++)
            {
                gate.Enter();
                queue.Enqueue(i);
                gate.Exit();
                items.Release();
            }
        });
        ctx.Spawn("consumer", () =>
        {
            for (var i = 0; i < 2; i++)
            {
                items.Wait();
                gate.Enter();
                Scheduler.Assert(queue.Dequeue() == i, "items arrived out of order");
                gate.Exit();
            }
        });
    }

    private static Action<SystematicContext> EventPublish(bool setAfterWrite) => ctx =>
    {
        var ready = ctx.CreateEvent("ready");
        var gate = ctx.CreateLock("data");
        var data = 0;
        ctx.Spawn("publisher", () =>
        {
            if (!setAfterWrite)
            {
                ready.Set();
            }

            gate.Enter();
            data = 7;
            gate.Exit();
            if (setAfterWrite)
            {
                ready.Set();
            }
        });
        ctx.Spawn("subscriber", () =>
        {
            ready.Wait();
            gate.Enter();
            Scheduler.Assert(data == 7, "the subscriber ran before the data was published");
            gate.Exit();
        });
    };

    private static void ConditionQueue(SystematicContext ctx)
    {
        var gate = ctx.CreateLock("queue");
        var nonEmpty = ctx.CreateCondition("non-empty", gate);
        var queue = new Queue<int>();
        ctx.Spawn("consumer", () =>
        {
            gate.Enter();
            while (queue.Count == 0)
            {
                nonEmpty.Wait();
            }

            Scheduler.Assert(queue.Dequeue() == 5, "wrong item");
            gate.Exit();
        });
        ctx.Spawn("producer", () =>
        {
            gate.Enter();
            queue.Enqueue(5);
            nonEmpty.Pulse();
            gate.Exit();
        });
    }

    /// <summary>A parent checks its child's work without joining it: wrong when the child has not run yet.</summary>
    private static void SpawnRace(SystematicContext ctx)
    {
        var done = ctx.CreateShared("done", false);
        var gate = ctx.CreateLock("flag");
        ctx.Spawn("parent", () =>
        {
            ctx.Spawn("child", () =>
            {
                gate.Enter();
                done.Value = true;
                gate.Exit();
            });
            gate.Enter();
            Scheduler.Assert(done.Value, "the child had not run");
            gate.Exit();
        });
    }

    /// <summary>Only one of the three values drawn, together with one order, breaks the assertion.</summary>
    private static void RandomValueBug(SystematicContext ctx)
    {
        var gate = ctx.CreateLock("cell");
        var cell = 0;
        ctx.Spawn("writer", () =>
        {
            var value = ctx.Random(3);
            gate.Enter();
            cell = value;
            gate.Exit();
        });
        ctx.Spawn("checker", () =>
        {
            gate.Enter();
            Scheduler.Assert(cell != 2, "the checker saw the value 2");
            gate.Exit();
        });
    }

    private static void NestedLocks(SystematicContext ctx)
    {
        var outer = ctx.CreateLock("outer");
        var inner = ctx.CreateLock("inner");
        var count = 0;
        for (var t = 0; t < 2; t++)
        {
            ctx.Spawn($"t{t}", () =>
            {
                outer.Enter();
                inner.Enter();
                count++;
                inner.Exit();
                outer.Exit();
            });
        }

        ctx.AtQuiescence("both counted", () => count == 2);
    }

    private static void ThreeWayDeadlock(SystematicContext ctx)
    {
        var locks = new[] { ctx.CreateLock("A"), ctx.CreateLock("B"), ctx.CreateLock("C") };
        for (var t = 0; t < 3; t++)
        {
            var first = locks[t];
            var second = locks[(t + 1) % 3];
            ctx.Spawn($"t{t}", () =>
            {
                first.Enter();
                second.Enter();
                second.Exit();
                first.Exit();
            });
        }
    }

    private static void AsyncYield(SystematicContext ctx)
    {
        var gate = ctx.CreateLock("L");
        var count = 0;
        for (var t = 0; t < 2; t++)
        {
            ctx.Spawn($"async{t}", async () =>
            {
                await Task.Yield();
                gate.Enter();
                count++;
                gate.Exit();
            });
        }

        ctx.AtQuiescence("both counted", () => count == 2);
    }

    private static void WriterTwoReaders(SystematicContext ctx)
    {
        var gate = ctx.CreateLock("L");
        var value = ctx.CreateShared("value", 0);
        ctx.Spawn("writer", () =>
        {
            gate.Enter();
            value.Value = 1;
            gate.Exit();
        });
        for (var t = 0; t < 2; t++)
        {
            ctx.Spawn($"reader{t}", () =>
            {
                gate.Enter();
                Scheduler.Assert(value.Value is 0 or 1, "a value nobody wrote");
                gate.Exit();
            });
        }
    }
}
