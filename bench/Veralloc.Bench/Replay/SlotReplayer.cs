using System.Diagnostics;
using Veralloc.Bench.Traces;

namespace Veralloc.Bench.Replay;

/// <summary>
/// A slot pool as the slot-trace harness sees it. Implemented by structs so the replay loop is specialized
/// per pool type and the adapter costs nothing.
/// </summary>
public interface ISlotPool
{
    /// <summary>The number of slots.</summary>
    int Capacity { get; }

    /// <summary>Takes a slot for affinity <paramref name="key"/> (-1 = none).</summary>
    /// <param name="key">The affinity key, or -1.</param>
    /// <param name="slotId">The slot, when one is free.</param>
    /// <returns>False when the pool is full (not an error).</returns>
    bool TryAllocate(int key, out int slotId);

    /// <summary>Returns a used slot to the pool.</summary>
    /// <param name="slotId">A slot <see cref="TryAllocate"/> returned and not yet freed.</param>
    void Free(int slotId);

    /// <summary>Checks the pool's invariants; throws <see cref="Veralloc.Invariants.InvariantViolationException"/>.</summary>
    void CheckInvariants();
}

/// <summary>Affinity statistics of one slot-trace replay (deterministic for a given pool policy).</summary>
/// <param name="Allocations">Successful slot allocations.</param>
/// <param name="Refusals">Allocations refused because the pool was full.</param>
/// <param name="KeyedAllocations">Successful allocations with a key (not -1).</param>
/// <param name="SameKeyReuses">Keyed allocations that got a slot whose previous user had the same key.</param>
/// <param name="HeldAtEnd">Slots still held when the trace ends.</param>
public readonly record struct SlotReuseStats(int Allocations, int Refusals, int KeyedAllocations, int SameKeyReuses, int HeldAtEnd)
{
    /// <summary>Same-key reuses ÷ keyed allocations (0 when there were none).</summary>
    public double SameKeyReuseRate => KeyedAllocations == 0 ? 0 : (double)SameKeyReuses / KeyedAllocations;
}

/// <summary>Timings and reuse statistics of a slot-trace replay.</summary>
public sealed record SlotReplayResult(string Pool, string Trace, int Ops, IReadOnlyList<double> PassMilliseconds,
    double MedianMilliseconds, SlotReuseStats Stats, string? Failure, WarmUpOutcome WarmUp = default)
{
    /// <summary>True when the replay completed and invariants held.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>Median pass time ÷ ops (<c>s</c> + <c>r</c> lines).</summary>
    public double NanosecondsPerOp => Ops == 0 ? 0 : MedianMilliseconds * 1e6 / Ops;
}

/// <summary>
/// Replays slot traces. <c>s KEY</c> allocates and, if a slot is returned, appends it to the held list
/// (a full pool appends nothing); <c>r IDX</c> frees <c>held[IDX]</c> and swap-removes it
/// (<c>held[IDX] = held[last]; pop</c>). An <c>r</c> index past the held list is a trace/pool mismatch.
/// </summary>
public static class SlotReplayer
{
    /// <summary>
    /// An untimed pass on a fresh pool that checks invariants every <paramref name="checkEvery"/> ops (0: only at
    /// the end) and counts same-key reuse: a keyed allocation whose slot was last used with the same key.
    /// </summary>
    /// <returns>The statistics, and null or the first failure.</returns>
    public static (SlotReuseStats Stats, string? Failure) Analyze<TPool>(ParsedTrace trace, TPool pool, int checkEvery)
        where TPool : ISlotPool
    {
        RequireSlotTrace(trace);
        var held = new int[pool.Capacity];
        var lastKey = new int[pool.Capacity];
        Array.Fill(lastKey, int.MinValue); // never used
        int heldCount = 0, allocations = 0, refusals = 0, keyed = 0, reuses = 0;
        TraceOp[] ops = trace.Ops;
        for (int i = 0; i < ops.Length; i++)
        {
            TraceOp op = ops[i];
            try
            {
                if (op.Kind == TraceOpKind.SlotAlloc)
                {
                    if (!pool.TryAllocate(op.Id, out int slot))
                    {
                        refusals++;
                    }
                    else
                    {
                        if ((uint)slot >= (uint)held.Length)
                        {
                            return (default, $"op #{i} ({op}): pool returned slot {slot}, outside 0..{held.Length - 1}");
                        }

                        allocations++;
                        if (op.Id >= 0)
                        {
                            keyed++;
                            reuses += lastKey[slot] == op.Id ? 1 : 0;
                        }

                        lastKey[slot] = op.Id;
                        held[heldCount++] = slot;
                    }
                }
                else
                {
                    if (op.Id >= heldCount)
                    {
                        return (default, $"op #{i} ({op}): only {heldCount} slots are held");
                    }

                    pool.Free(held[op.Id]);
                    held[op.Id] = held[--heldCount];
                }

                if (checkEvery > 0 && (i + 1) % checkEvery == 0)
                {
                    pool.CheckInvariants();
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or Veralloc.Invariants.InvariantViolationException)
            {
                return (default, $"op #{i} ({op}) failed: {e.GetType().Name}: {e.Message}");
            }
        }

        try
        {
            pool.CheckInvariants();
        }
        catch (Veralloc.Invariants.InvariantViolationException e)
        {
            return (default, $"at the end: {e.Message}");
        }

        return (new SlotReuseStats(allocations, refusals, keyed, reuses, heldCount), null);
    }

    /// <summary>
    /// One untimed <see cref="Analyze"/> pass (statistics, invariants), then the <see cref="SteadyWarmUp"/> protocol with a
    /// tier-up budget of <paramref name="warmUpMilliseconds"/> (0: no further warm-up), then <paramref name="passes"/> timed passes, each on a fresh pool from <paramref name="createPool"/>
    /// (created outside the timed region). The timed loop does only the pool calls and the held-list updates.
    /// </summary>
    public static SlotReplayResult Run<TPool>(string poolName, ParsedTrace trace, Func<TPool> createPool, int passes, int checkEvery,
        int warmUpMilliseconds = ReplayOptions.DefaultWarmUpMilliseconds)
        where TPool : ISlotPool
    {
        ArgumentNullException.ThrowIfNull(createPool);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(passes);
        long warmUpStarted = Stopwatch.GetTimestamp();
        TPool analyzed = createPool();
        (SlotReuseStats stats, string? failure) = Analyze(trace, analyzed, checkEvery);
        var passMilliseconds = new double[passes];
        WarmUpOutcome warmUp = WarmUpOutcome.SinglePass;
        if (failure is null)
        {
            var held = new int[analyzed.Capacity];

            // The shared protocol (SteadyWarmUp): tier-up passes, a pause, then passes timed like the reported ones until steady.
            warmUp = SteadyWarmUp.Run(
                () =>
                {
                    TPool pool = createPool();
                    ReplayTimed(trace.Ops, ref pool, held);
                    return true;
                },
                () => TimedPass(trace, createPool, held),
                new ReplayOptions(passes, checkEvery, warmUpMilliseconds),
                warmUpStarted);

            for (int pass = 0; pass < passes; pass++)
            {
                passMilliseconds[pass] = TimedPass(trace, createPool, held);
            }
        }

        return new SlotReplayResult(poolName, trace.Name, trace.OpCount, passMilliseconds,
            failure is null ? AllocationReplayer.Median(passMilliseconds) : double.NaN, stats, failure, warmUp);
    }

    private static double TimedPass<TPool>(ParsedTrace trace, Func<TPool> createPool, int[] held)
        where TPool : ISlotPool
    {
        TPool pool = createPool();
        if (pool.Capacity != held.Length)
        {
            throw new InvalidOperationException($"createPool must build identical pools; capacity {pool.Capacity} differs from {held.Length}.");
        }

        GC.Collect();
        long started = Stopwatch.GetTimestamp();
        ReplayTimed(trace.Ops, ref pool, held);
        long elapsed = Stopwatch.GetTimestamp() - started;
        return elapsed * 1000.0 / Stopwatch.Frequency;
    }

    // Analyze has already run the same ops on an identical fresh pool, so indices are known to be in range.
    private static void ReplayTimed<TPool>(TraceOp[] ops, ref TPool pool, int[] held)
        where TPool : ISlotPool
    {
        int heldCount = 0;
        for (int i = 0; i < ops.Length; i++)
        {
            TraceOp op = ops[i];
            if (op.Kind == TraceOpKind.SlotAlloc)
            {
                if (pool.TryAllocate(op.Id, out int slot))
                {
                    held[heldCount++] = slot;
                }
            }
            else
            {
                pool.Free(held[op.Id]);
                held[op.Id] = held[--heldCount];
            }
        }
    }

    private static void RequireSlotTrace(ParsedTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (trace.Kind != TraceKind.Slot)
        {
            throw new ArgumentException($"Trace '{trace.Name}' is an {trace.Kind} trace; the slot replayer needs s/r ops.", nameof(trace));
        }
    }
}
