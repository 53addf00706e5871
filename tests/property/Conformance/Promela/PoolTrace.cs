using System.Globalization;
using System.Text;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>One slot as the slots model keeps it: kind (0 cold, 1 warm, 2 used), key (0 none), resident bytes (model units).</summary>
internal readonly record struct ModelSlot(int Kind, int Key, int Resident)
{
    public const int Cold = 0;
    public const int Warm = 1;
    public const int Used = 2;
}

/// <summary>
/// The slots model's abstract pool state (spec/promela/slots.pml): lastCold, the warm and byte counters, every slot,
/// the warm list head to tail, and the affine list of every key in the map. Text form, as the model prints it under
/// -DCONFORMANCE: <c>lastCold 3 unusedWarm 2 unusedBytes 1 slots 1/0/1 2/1/0 1/2/0 warm 0 2 key 2 2</c>.
/// </summary>
internal sealed record PoolState(int LastCold, int UnusedWarm, int UnusedBytes, ModelSlot[] Slots, int[] Warm, (int Key, int[] Slots)[] Affine)
{
    public static PoolState Parse(string text)
    {
        string[] t = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (t.Length < 8 || t[0] != "lastCold" || t[2] != "unusedWarm" || t[4] != "unusedBytes" || t[6] != "slots")
        {
            throw new FormatException($"not a slot pool state: `{text}`");
        }

        int at = 7;
        var slots = new List<ModelSlot>();
        for (; at < t.Length && t[at] != "warm"; at++)
        {
            string[] parts = t[at].Split('/');
            slots.Add(parts.Length == 3
                ? new ModelSlot(FreeListState.Number(parts[0]), FreeListState.Number(parts[1]), FreeListState.Number(parts[2]))
                : throw new FormatException($"not a kind/key/bytes slot: `{t[at]}` in `{text}`"));
        }

        at++;
        var warm = new List<int>();
        for (; at < t.Length && t[at] != "key"; at++)
        {
            warm.Add(FreeListState.Number(t[at]));
        }

        var affine = new List<(int, int[])>();
        while (at < t.Length)
        {
            int key = FreeListState.Number(t[at + 1]);
            var members = new List<int>();
            for (at += 2; at < t.Length && t[at] != "key"; at++)
            {
                members.Add(FreeListState.Number(t[at]));
            }

            affine.Add((key, members.ToArray()));
        }

        return new PoolState(FreeListState.Number(t[1]), FreeListState.Number(t[3]), FreeListState.Number(t[5]), slots.ToArray(), warm.ToArray(), affine.ToArray());
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"lastCold {LastCold} unusedWarm {UnusedWarm} unusedBytes {UnusedBytes} slots");
        foreach (ModelSlot slot in Slots)
        {
            text.Append(CultureInfo.InvariantCulture, $" {slot.Kind}/{slot.Key}/{slot.Resident}");
        }

        text.Append(" warm");
        foreach (int slot in Warm)
        {
            text.Append(CultureInfo.InvariantCulture, $" {slot}");
        }

        foreach ((int key, int[] members) in Affine)
        {
            text.Append(CultureInfo.InvariantCulture, $" key {key}");
            foreach (int slot in members)
            {
                text.Append(CultureInfo.InvariantCulture, $" {slot}");
            }
        }

        return text.ToString();
    }

    public bool Equals(PoolState? other) => other is not null && ToString() == other.ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}

/// <summary>One slot operation in the model's terms: keys 1..NKEYS (0 none), resident bytes in model units.</summary>
internal abstract record PoolOp(int Worker)
{
    /// <summary>Alloc(<see cref="Key"/>), or AllocAffineAndClear(<see cref="Key"/>) when <see cref="Affine"/>; <see cref="Slot"/> is the result (null: none).</summary>
    public sealed record Alloc(int Worker, bool Affine, int Key, int? Slot) : PoolOp(Worker)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"w{Worker} {(Affine ? "affine" : "alloc")} {Key} -> {(Slot is int slot ? slot.ToString(CultureInfo.InvariantCulture) : "none")}");
    }

    /// <summary>
    /// Free(<see cref="Slot"/>, <see cref="Bytes"/>). <see cref="Rejected"/> (C# traces only) names why the allocator refused the call:
    /// <c>not-used</c> (InvalidOperationException) or <c>bad-argument</c> (ArgumentOutOfRangeException); then the slot and bytes are the
    /// raw arguments, which the model need not be able to represent.
    /// </summary>
    public sealed record Free(int Worker, int Slot, long Bytes, string? Rejected = null) : PoolOp(Worker)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"w{Worker} free {Slot} {Bytes}{(Rejected is null ? "" : " rejected " + Rejected)}");
    }

    public static PoolOp Parse(string text)
    {
        string[] t = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (t.Length < 3 || !t[0].StartsWith('w'))
        {
            throw new FormatException($"not a slot operation: `{text}`");
        }

        int worker = FreeListState.Number(t[0][1..]);
        return t[1..] switch
        {
            [var verb and ("alloc" or "affine"), var key, "->", var slot] =>
                new Alloc(worker, verb == "affine", FreeListState.Number(key), slot == "none" ? null : FreeListState.Number(slot)),
            ["free", var slot, var bytes] => new Free(worker, FreeListState.Number(slot), FreeListState.Number(bytes)),
            ["free", var slot, var bytes, "rejected", var reason] =>
                new Free(worker, int.Parse(slot, CultureInfo.InvariantCulture), long.Parse(bytes, CultureInfo.InvariantCulture), reason),
            _ => throw new FormatException($"not a slot operation: `{text}`"),
        };
    }
}

/// <summary>One step of a slot trace: the operation with its result, the model cases it took (exported traces only), the state after it.</summary>
internal sealed record PoolStep(PoolOp Op, int[] Cases, PoolState State)
{
    public override string ToString() => $"{Op} | cases{string.Concat(Cases.Select(c => " " + c.ToString(CultureInfo.InvariantCulture)))} | {State}";
}
