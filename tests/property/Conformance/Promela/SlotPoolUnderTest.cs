using Veralloc.Allocators.Slots;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// A <c>SlotAllocator</c> of one <see cref="AllocatorBuild"/>, driven in the slots model's terms, with the
/// abstraction function from its state to the model's (docs/design-notes/0033-model-code-conformance.md).
/// </summary>
/// <remarks>
/// Keys: model key k (1..NKEYS; 0 is none) is the property tests' key k − 1, <c>SlotAffinity((k − 1) / 2, (k − 1) % 2)</c>
/// (<see cref="Slots.SlotModelProperties.KeyOf"/>). Bytes: one model unit of resident bytes is
/// <see cref="BytesPerUnit"/>. Kinds: model 0 cold, 1 warm, 2 used. lastCold is read from the counters,
/// <c>Capacity + UnusedWarmCount − EmptySlotCount</c>; the lists through the public queries (their links are checked
/// by <c>CheckInvariants</c>, which the harness calls after every step).
/// </remarks>
internal sealed class SlotPoolUnderTest
{
    /// <summary>One model unit of resident bytes: a 4 KiB page.</summary>
    public const long BytesPerUnit = 4096;

    private readonly AllocatorBuild _build;
    private readonly Reflected _pool;
    private readonly int _capacity;

    public SlotPoolUnderTest(AllocatorBuild build, int capacity, int threshold)
    {
        _build = build;
        _capacity = capacity;
        _pool = build.Create(typeof(SlotAllocator).FullName!, capacity, threshold, null);
    }

    /// <summary>The model's <c>Alloc(key)</c> (or <c>AllocAffineAndClear(key)</c>); the slot, or null for none.</summary>
    public int? Allocate(int modelKey, bool affineAndClear)
    {
        object?[] arguments = [Affinity(modelKey), null];
        bool got = (bool)_pool.Call(affineAndClear ? nameof(SlotAllocator.TryAllocateAffineAndClear) : nameof(SlotAllocator.TryAllocate), arguments)!;
        return got ? (int)arguments[1]! : null;
    }

    /// <summary>Free(slot, bytes) as the C# caller makes it; null when accepted, else why it was rejected.</summary>
    public string? Free(int slot, long bytes)
    {
        try
        {
            _pool.Call(nameof(SlotAllocator.Free), [slot, bytes]);
            return null;
        }
        catch (InvalidOperationException)
        {
            return "not-used";
        }
        catch (ArgumentOutOfRangeException)
        {
            return "bad-argument";
        }
    }

    public void CheckInvariants() => _pool.Call(nameof(SlotAllocator.CheckInvariants));

    /// <summary>The abstraction function: the pool's state as the model's.</summary>
    /// <exception cref="ConformanceException">A byte count is not a whole number of model units, or a key is not a model key.</exception>
    public PoolState Abstract()
    {
        int warmCount = _pool.Get<int>(nameof(SlotAllocator.UnusedWarmCount));
        int lastCold = _capacity + warmCount - _pool.Get<int>(nameof(SlotAllocator.EmptySlotCount));
        var slots = new ModelSlot[_capacity];
        for (int slot = 0; slot < _capacity; slot++)
        {
            object state = _pool.Call(nameof(SlotAllocator.GetSlotState), [slot])!;
            var kind = Reflected.Get<Enum>(state, nameof(SlotState.Kind)).ToString() switch
            {
                nameof(SlotKind.UnusedCold) => ModelSlot.Cold,
                nameof(SlotKind.UnusedWarm) => ModelSlot.Warm,
                nameof(SlotKind.Used) => ModelSlot.Used,
                var other => throw new ConformanceException($"slot {slot} is in state {other}, which the model does not have"),
            };
            slots[slot] = new ModelSlot(kind, ModelKey(new Reflected(state).Get(nameof(SlotState.Affinity))),
                Units(Reflected.Get<long>(state, nameof(SlotState.BytesResident)), $"slot {slot}'s resident bytes"));
        }

        var affine = ((Array)_pool.Call(nameof(SlotAllocator.GetAffinities))!).Cast<object>()
            .Select(key => (Key: ModelKey(key), Slots: (int[])_pool.Call(nameof(SlotAllocator.GetAffineList), [key])!))
            .OrderBy(list => list.Key)
            .ToArray();
        return new PoolState(lastCold, warmCount, Units(_pool.Get<long>(nameof(SlotAllocator.UnusedBytesResident)), "UnusedBytesResident"), slots,
            (int[])_pool.Call(nameof(SlotAllocator.GetWarmList))!, affine);
    }

    /// <summary>A C# byte count in model units.</summary>
    /// <exception cref="ConformanceException">It is not a whole, small number of units.</exception>
    public static int Units(long bytes, string what) =>
        bytes % BytesPerUnit == 0 && bytes / BytesPerUnit is >= 0 and < 256
            ? (int)(bytes / BytesPerUnit)
            : throw new ConformanceException($"{what} {bytes} is not a whole number of model units ({BytesPerUnit} bytes) in the model's range");

    private static int ModelKey(object? affinity)
    {
        if (affinity is null)
        {
            return 0;
        }

        int module = Reflected.Get<int>(affinity, nameof(SlotAffinity.ModuleId));
        int memory = Reflected.Get<int>(affinity, nameof(SlotAffinity.MemoryIndex));
        return memory is 0 or 1 && module >= 0 ? (module * 2) + memory + 1 : throw new ConformanceException($"key ({module}, {memory}) is not a model key");
    }

    private object? Affinity(int modelKey)
    {
        if (modelKey == 0)
        {
            return null;
        }

        SlotAffinity key = Slots.SlotModelProperties.KeyOf(modelKey - 1);
        return _build.CreateObject(typeof(SlotAffinity).FullName!, key.ModuleId, key.MemoryIndex);
    }
}
