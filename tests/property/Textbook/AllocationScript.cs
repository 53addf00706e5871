using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Veralloc.Allocators;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Tests.Property.Textbook;

/// <summary>One step of an allocation script.</summary>
public abstract record AllocationCommand
{
    private AllocationCommand()
    {
    }

    /// <summary>Allocate <paramref name="Size"/> bytes aligned to <paramref name="Alignment"/>.</summary>
    public sealed record Allocate(long Size, long Alignment) : AllocationCommand
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"A({Size},{Alignment})");
    }

    /// <summary>Free the live allocation at <c>Index mod liveCount</c> (skipped when none is live), so every shrink stays valid.</summary>
    public sealed record Free(int Index) : AllocationCommand
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"F({Index})");
    }

    /// <summary>Grow the managed range by <paramref name="Bytes"/> (only allocators that can grow run it).</summary>
    public sealed record Grow(long Bytes) : AllocationCommand
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"G({Bytes})");
    }
}

/// <summary>A generated script: the commands, plus one integer the suite may use as a configuration knob.</summary>
/// <param name="Commands">The steps.</param>
/// <param name="Knob">A suite-specific choice (second-level bits, fallback kind, checked mode...).</param>
public sealed record AllocationScript(AllocationCommand[] Commands, int Knob)
{
    public override string ToString() => $"knob {Knob}: [{string.Join(" ", Commands.Select(c => c.ToString()))}]";
}

/// <summary>
/// The foundation's workload distribution (sizes 1..100 with alignments 1..64, occasional large sizes, frees of
/// a random live allocation), a shrinker that removes commands and simplifies allocations, and the checks every
/// step of a script runs.
/// </summary>
public static class AllocationScripts
{
    /// <summary>Scripts of up to <paramref name="maxLength"/> commands; <paramref name="growWeight"/> 0 means no Grow commands.</summary>
    public static Arbitrary<AllocationScript> Scripts(int maxLength, int knobMin, int knobMax, int growWeight = 0, long largeMax = 20_000)
    {
        var weighted = new List<(int, Gen<AllocationCommand>)>
        {
            (12, from size in Gen.Choose(1, 100)
                 from alignment in Gen.Elements(1L, 2L, 4L, 8L, 16L, 32L, 64L)
                 select (AllocationCommand)new AllocationCommand.Allocate(size, alignment)),
            (1, from size in Gen.Choose(1000, (int)largeMax)
                from alignment in Gen.Elements(1L, 8L, 64L, 256L, 4096L)
                select (AllocationCommand)new AllocationCommand.Allocate(size, alignment)),
            (9, Gen.Choose(0, 1000).Select(index => (AllocationCommand)new AllocationCommand.Free(index))),
        };
        if (growWeight > 0)
        {
            weighted.Add((growWeight, Gen.Choose(1, 64).Select(granules => (AllocationCommand)new AllocationCommand.Grow(granules * 1024L))));
        }

        Gen<AllocationCommand> command = Gen.Frequency([.. weighted]);
        Gen<AllocationScript> script =
            from length in Gen.Choose(0, maxLength)
            from commands in Gen.ArrayOf(command, length)
            from knob in Gen.Choose(knobMin, knobMax)
            select new AllocationScript(commands, knob);
        return Arb.From(script, Shrink);
    }

    /// <summary>Removes halves, then single commands, then makes allocations smaller and less aligned.</summary>
    public static IEnumerable<AllocationScript> Shrink(AllocationScript script)
    {
        AllocationCommand[] commands = script.Commands;
        if (commands.Length > 1)
        {
            yield return script with { Commands = commands[..(commands.Length / 2)] };
            yield return script with { Commands = commands[(commands.Length / 2)..] };
        }

        for (int i = 0; i < commands.Length; i++)
        {
            yield return script with { Commands = [.. commands[..i], .. commands[(i + 1)..]] };
        }

        for (int i = 0; i < commands.Length; i++)
        {
            if (commands[i] is AllocationCommand.Allocate allocate && (allocate.Size > 1 || allocate.Alignment > 1))
            {
                AllocationCommand[] simpler = (AllocationCommand[])commands.Clone();
                simpler[i] = allocate.Alignment > 1 ? allocate with { Alignment = 1 } : allocate with { Size = allocate.Size / 2 };
                yield return script with { Commands = simpler };
            }
        }
    }

    /// <summary>Throws with the step and detail unless <paramref name="condition"/> holds.</summary>
    public static void Require(bool condition, string where, string detail)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"{where}: {detail}");
        }
    }

    /// <summary>Records a successful allocation: writes a pattern derived from the step into it and adds it to <paramref name="live"/>.</summary>
    public static void Track(List<LiveAllocation> live, ILinearMemory memory, int step, long offset, long size, long alignment)
    {
        var allocation = new LiveAllocation(offset, size, alignment, (byte)((step % 251) + 1));
        allocation.Fill(memory);
        live.Add(allocation);
    }

    /// <summary>Picks the live allocation a Free command names (index modulo the live count), checks its pattern and removes it.</summary>
    public static LiveAllocation TakeVictim(List<LiveAllocation> live, int index, ILinearMemory memory, string where)
    {
        LiveAllocation victim = live[index % live.Count];
        live.Remove(victim);
        victim.Verify(memory, where);
        return victim;
    }

    /// <summary>Runs CheckInvariants, naming the step on failure.</summary>
    public static void CheckInvariants(IOffsetAllocator allocator, string where)
    {
        try
        {
            allocator.CheckInvariants();
        }
        catch (InvariantViolationException violation)
        {
            throw new InvalidOperationException($"{where}: {violation.Message}", violation);
        }
    }
}

/// <summary>A live allocation and the byte pattern written into it, so a later overlap or metadata write shows up.</summary>
public sealed record LiveAllocation(long Offset, long Size, long Alignment, byte Pattern)
{
    /// <summary>Writes the pattern over <c>[Offset, Offset + Size)</c>.</summary>
    public void Fill(ILinearMemory memory) => memory.GetSpan(Offset, (int)Size).Fill(Pattern);

    /// <summary>Checks the pattern is intact.</summary>
    public void Verify(ILinearMemory memory, string where)
    {
        Span<byte> bytes = memory.GetSpan(Offset, (int)Size);
        int broken = bytes.IndexOfAnyExcept(Pattern);
        AllocationScripts.Require(broken < 0, where,
            $"allocation [{Offset}, +{Size}) lost its pattern {Pattern} at byte {Offset + broken} (now {(broken < 0 ? 0 : bytes[broken])}): something overlapped it");
    }
}
