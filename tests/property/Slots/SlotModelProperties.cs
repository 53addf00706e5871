using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Veralloc.Allocators.Slots;
using Veralloc.Invariants;
using Veralloc.Scenarios.Slots;

namespace Veralloc.Tests.Property.Slots;

/// <summary>What a generated command does.</summary>
public enum SlotOp
{
    /// <summary>TryAllocate with key <c>Key</c> (-1: none).</summary>
    Alloc,

    /// <summary>TryAllocateAffineAndClear with key <c>Key</c>.</summary>
    AllocAffineAndClear,

    /// <summary>Free the Used slot at <c>Index</c> modulo the Used count (ids ascending); nothing when none is Used.</summary>
    FreeUsed,

    /// <summary>Free slot id <c>Index</c> as given: may be out of range, warm, cold or Used; errors must match.</summary>
    FreeAny,
}

/// <summary>
/// One command. "A random used slot" is an index resolved when the command runs, so every subsequence of a
/// scenario is still a valid scenario and shrinking by dropping commands works.
/// </summary>
public readonly record struct SlotCommand(SlotOp Op, int Key, int Index, long Bytes)
{
    public override string ToString() => Op switch
    {
        SlotOp.Alloc => Key < 0 ? "alloc()" : $"alloc(k{Key})",
        SlotOp.AllocAffineAndClear => $"affineAndClear(k{Key})",
        SlotOp.FreeUsed => $"free(used#{Index}, {Bytes})",
        _ => $"free(id {Index}, {Bytes})",
    };
}

/// <summary>A pool shape and a command sequence.</summary>
public sealed record SlotScenario(int Capacity, int Threshold, int KeyCount, SlotCommand[] Commands)
{
    public override string ToString() =>
        $"capacity {Capacity}, threshold {Threshold}, {KeyCount} keys, {Commands.Length} commands: [{string.Join("; ", Commands)}]";
}

/// <summary>
/// Model-based test: random command sequences run against <see cref="SlotAllocator"/> and <see cref="SlotModel"/>;
/// after EVERY command the results, every query and <see cref="SlotAllocator.CheckInvariants"/> must agree.
/// Not covered here: concurrency (see the stress test and the systematic engine).
/// </summary>
public sealed class SlotModelProperties
{
    internal static SlotAffinity KeyOf(int key) => new(key / 2, key % 2);

    private static Gen<SlotCommand> CommandGen(int capacity, int keyCount)
    {
        var bytes = Gen.Frequency(
            (4, Gen.Choose(0, 1 << 20).Select(b => (long)b)),
            (2, Gen.Constant(0L)),
            (1, Gen.Constant(long.MaxValue / 2)));
        var anyBytes = Gen.Frequency((5, bytes), (1, Gen.Constant(-1L)));
        var key = Gen.Choose(-1, keyCount - 1);
        return Gen.Frequency(
            (6, key.Select(k => new SlotCommand(SlotOp.Alloc, k, 0, 0))),
            (1, Gen.Choose(0, keyCount - 1).Select(k => new SlotCommand(SlotOp.AllocAffineAndClear, k, 0, 0))),
            (5, Gen.Choose(0, 1000).SelectMany(_ => bytes, (i, b) => new SlotCommand(SlotOp.FreeUsed, -1, i, b))),
            (1, Gen.Choose(-2, capacity + 1).SelectMany(_ => anyBytes, (i, b) => new SlotCommand(SlotOp.FreeAny, -1, i, b))));
    }

    internal static readonly Gen<SlotScenario> ScenarioGen =
        Gen.Frequency(
                (3, Gen.Elements(0, 1, 2)),
                (4, Gen.Choose(3, 12)),
                (2, Gen.Choose(13, 48)))
            .SelectMany(capacity => Gen.Frequency(
                    (2, Gen.Constant(0)),
                    (2, Gen.Constant(Math.Min(1, capacity))),
                    (2, Gen.Constant(capacity)),
                    (3, Gen.Choose(0, capacity))),
                (capacity, threshold) => (capacity, threshold))
            .SelectMany(shape => Gen.Choose(1, 4), (shape, keys) => (shape.capacity, shape.threshold, keys))
            .SelectMany(
                shape => Gen.Choose(0, 120).SelectMany(length => Gen.ArrayOf(CommandGen(shape.capacity, shape.keys), length)),
                (shape, commands) => new SlotScenario(shape.capacity, shape.threshold, shape.keys, commands));

    /// <summary>Drops chunks of commands (halves, quarters, ... single commands), then simplifies byte counts and free indexes.</summary>
    internal static IEnumerable<SlotScenario> Shrink(SlotScenario scenario)
    {
        var commands = scenario.Commands;
        for (int chunk = commands.Length / 2; chunk >= 1; chunk /= 2)
        {
            for (int start = 0; start + chunk <= commands.Length; start += chunk)
            {
                yield return scenario with { Commands = [.. commands[..start], .. commands[(start + chunk)..]] };
            }
        }

        for (int i = 0; i < commands.Length; i++)
        {
            if (commands[i].Bytes > 0)
            {
                var simpler = (SlotCommand[])commands.Clone();
                simpler[i] = simpler[i] with { Bytes = 0 };
                yield return scenario with { Commands = simpler };
            }

            if (commands[i].Op == SlotOp.FreeUsed && commands[i].Index > 0)
            {
                // The index is taken modulo the Used count, so 0 ("the lowest Used id") reads best in a report.
                var simpler = (SlotCommand[])commands.Clone();
                simpler[i] = simpler[i] with { Index = 0 };
                yield return scenario with { Commands = simpler };
            }
        }
    }

    /// <summary>A failure reports FsCheck's seed and the shrunk scenario; paste the seed into <c>Replay</c> to rerun it.</summary>
    [Property(MaxTest = 300, Arbitrary = [typeof(Scenarios)])]
    public void AllocatorAgreesWithTheModelAfterEveryCommand(SlotScenario scenario) => Run(scenario);

    /// <summary>Generated scenarios with their shrinker, for <c>[Property(Arbitrary = ...)]</c>.</summary>
    public static class Scenarios
    {
        /// <summary>The FsCheck arbitrary the property's parameter is drawn from.</summary>
        public static Arbitrary<SlotScenario> Scenario() => Arb.From(ScenarioGen, Shrink);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 0)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(10, 2)]
    public void EveryShortSequenceOnTinyPoolsAgreesWithTheModel(int capacity, int threshold)
    {
        // Exhaustive small scope: every sequence of up to 5 commands from a small alphabet.
        SlotCommand[] alphabet =
        [
            new(SlotOp.Alloc, -1, 0, 0), new(SlotOp.Alloc, 0, 0, 0), new(SlotOp.Alloc, 1, 0, 0),
            new(SlotOp.AllocAffineAndClear, 0, 0, 0), new(SlotOp.FreeUsed, -1, 0, 7), new(SlotOp.FreeUsed, -1, 1, 0),
            new(SlotOp.FreeAny, -1, 0, 3),
        ];
        int sequences = 0;
        var current = new List<SlotCommand>();
        void Extend(int depth)
        {
            Run(new SlotScenario(capacity, threshold, 2, [.. current]));
            sequences++;
            if (depth == 5)
            {
                return;
            }

            foreach (var command in alphabet)
            {
                current.Add(command);
                Extend(depth + 1);
                current.RemoveAt(current.Count - 1);
            }
        }

        Extend(0);
        Assert.Equal(1 + 7 + 49 + 343 + 2401 + 16807, sequences);
    }

    /// <summary>Runs a scenario; throws, naming the step and command, at the first disagreement.</summary>
    internal static bool Run(SlotScenario scenario)
    {
        var real = new SlotAllocator(scenario.Capacity, scenario.Threshold);
        var model = new SlotModel(scenario.Capacity, scenario.Threshold);
        Compare(real, model, scenario.KeyCount, "initial state");
        for (int step = 0; step < scenario.Commands.Length; step++)
        {
            var command = scenario.Commands[step];
            string where = $"step {step} {command}";
            Apply(real, model, command, where);
            Compare(real, model, scenario.KeyCount, where);
            try
            {
                real.CheckInvariants();
            }
            catch (InvariantViolationException violation)
            {
                throw new InvalidOperationException($"after {where}: {violation.Message}", violation);
            }
        }

        return true;
    }

    private static void Apply(SlotAllocator real, SlotModel model, SlotCommand command, string where)
    {
        switch (command.Op)
        {
            case SlotOp.Alloc:
            {
                SlotAffinity? key = command.Key < 0 ? null : KeyOf(command.Key);
                int expected = model.Allocate(key);
                bool got = real.TryAllocate(key, out int slot);
                Expect(expected, got, slot, where);
                break;
            }

            case SlotOp.AllocAffineAndClear:
            {
                int expected = model.AllocateAffineAndClear(KeyOf(command.Key));
                bool got = real.TryAllocateAffineAndClear(KeyOf(command.Key), out int slot);
                Expect(expected, got, slot, where);
                break;
            }

            case SlotOp.FreeUsed:
            {
                var used = model.UsedSlots();
                if (used.Count > 0)
                {
                    Free(real, model, used[command.Index % used.Count], command.Bytes, where);
                }

                break;
            }

            default:
                Free(real, model, command.Index, command.Bytes, where);
                break;
        }
    }

    private static void Expect(int expected, bool got, int slot, string where)
    {
        if (got != (expected >= 0) || slot != expected)
        {
            throw new InvalidOperationException($"after {where}: allocator returned {got}/{slot}, model expected slot {expected}");
        }
    }

    private static void Free(SlotAllocator real, SlotModel model, int slot, long bytes, string where)
    {
        var expectedError = model.Free(slot, bytes);
        Type? actualError = null;
        try
        {
            real.Free(slot, bytes);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException)
        {
            actualError = error.GetType();
        }

        if (expectedError != actualError)
        {
            throw new InvalidOperationException(
                $"after {where} (free of id {slot}): allocator threw {actualError?.Name ?? "nothing"}, model expected {expectedError?.Name ?? "nothing"}");
        }
    }

    private static void Compare(SlotAllocator real, SlotModel model, int keyCount, string where)
    {
        var differences = new StringBuilder();
        void Check<T>(string query, T actual, T expected)
        {
            if (!EqualityComparer<T>.Default.Equals(actual, expected))
            {
                differences.Append(CultureInfo.InvariantCulture, $"\n  {query}: allocator {actual}, model {expected}");
            }
        }

        void CheckSequence<T>(string query, T[] actual, T[] expected)
        {
            if (!actual.SequenceEqual(expected))
            {
                differences.Append(CultureInfo.InvariantCulture, $"\n  {query}: allocator [{string.Join(", ", actual)}], model [{string.Join(", ", expected)}]");
            }
        }

        Check("Capacity", real.Capacity, model.Capacity);
        Check("MaxUnusedWarm", real.MaxUnusedWarm, model.MaxUnusedWarm);
        Check("IsEmpty", real.IsEmpty, model.IsEmpty);
        Check("EmptySlotCount", real.EmptySlotCount, model.EmptySlotCount);
        Check("UnusedWarmCount", real.UnusedWarmCount, model.UnusedWarmCount);
        Check("UnusedBytesResident", real.UnusedBytesResident, model.UnusedBytesResident);
        CheckSequence("GetWarmList", real.GetWarmList(), model.GetWarmList());
        CheckSequence("GetAffinities", real.GetAffinities(), model.GetAffinities());
        for (int key = 0; key < keyCount; key++)
        {
            CheckSequence($"GetAffineList(k{key})", real.GetAffineList(KeyOf(key)), model.GetAffineList(KeyOf(key)));
        }

        for (int slot = 0; slot < model.Capacity; slot++)
        {
            Check($"GetSlotState({slot})", real.GetSlotState(slot), model.GetSlotState(slot));
        }

        if (differences.Length > 0)
        {
            throw new InvalidOperationException($"after {where}, the allocator and the model disagree:{differences}");
        }
    }
}
