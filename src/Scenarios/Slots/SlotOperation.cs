using System.Globalization;
using Veralloc.Allocators.Slots;
using Veralloc.Systematic;
using Veralloc.Systematic.Linearizability;

namespace Veralloc.Scenarios.Slots;

/// <summary>What a <see cref="SlotOperation"/> does.</summary>
public enum SlotOperationKind
{
    /// <summary><see cref="ISlotPool.TryAllocate"/> with <see cref="SlotOperation.Key"/> (or none).</summary>
    Allocate,

    /// <summary><see cref="ISlotPool.TryAllocateAffineAndClear"/> with <see cref="SlotOperation.Key"/>.</summary>
    AllocateAffineAndClear,

    /// <summary><see cref="ISlotPool.Free"/> of <see cref="SlotOperation.Slot"/> with <see cref="SlotOperation.Bytes"/> resident.</summary>
    Free,

    /// <summary>The query <see cref="ISlotPool.EmptySlotCount"/>.</summary>
    EmptySlotCount,

    /// <summary>The query <see cref="ISlotPool.GetWarmList"/>.</summary>
    WarmList,

    /// <summary>The query <see cref="ISlotPool.UnusedBytesResident"/>.</summary>
    UnusedBytesResident,

    /// <summary>The query <see cref="ISlotPool.GetSlotState"/> of <see cref="SlotOperation.Slot"/>.</summary>
    SlotState,
}

/// <summary>
/// One call on the slot allocator's interface (SEED-SEMANTICS §3), which runs the same way on a pool under test
/// (<see cref="RunOn"/>) and on the reference model (<see cref="ApplyTo"/>), so a history of them can be checked for
/// linearizability against <see cref="SlotModel"/>.
/// </summary>
/// <param name="Kind">What the call does.</param>
/// <param name="Key">The affinity of an alloc, or null.</param>
/// <param name="Slot">The slot a free or a state query names.</param>
/// <param name="Bytes">The resident bytes a free hands back.</param>
public sealed record SlotOperation(SlotOperationKind Kind, SlotAffinity? Key = null, int Slot = 0, long Bytes = 0)
{
    /// <summary>Alloc with <paramref name="key"/>, or with no key.</summary>
    public static SlotOperation Allocate(SlotAffinity? key) => new(SlotOperationKind.Allocate, key);

    /// <summary>Alloc-affine-and-clear with <paramref name="key"/>.</summary>
    public static SlotOperation AllocateAffineAndClear(SlotAffinity key) => new(SlotOperationKind.AllocateAffineAndClear, key);

    /// <summary>Free of <paramref name="slot"/> with <paramref name="bytesResident"/> resident.</summary>
    public static SlotOperation Free(int slot, long bytesResident) => new(SlotOperationKind.Free, Slot: slot, Bytes: bytesResident);

    /// <summary>The empty-slot count.</summary>
    public static SlotOperation EmptySlotCount { get; } = new(SlotOperationKind.EmptySlotCount);

    /// <summary>The warm list.</summary>
    public static SlotOperation WarmList { get; } = new(SlotOperationKind.WarmList);

    /// <summary>The resident bytes of the warm slots.</summary>
    public static SlotOperation UnusedBytesResident { get; } = new(SlotOperationKind.UnusedBytesResident);

    /// <summary>The state of <paramref name="slot"/>.</summary>
    public static SlotOperation StateOf(int slot) => new(SlotOperationKind.SlotState, Slot: slot);

    /// <summary>Performs the call on <paramref name="pool"/>; an exception propagates.</summary>
    /// <param name="pool">The pool under test.</param>
    /// <returns>What the call returned.</returns>
    public SlotResult Invoke(ISlotPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return Kind switch
        {
            SlotOperationKind.Allocate => pool.TryAllocate(Key, out var slot) ? SlotResult.Slot(slot) : SlotResult.NoSlot,
            SlotOperationKind.AllocateAffineAndClear => pool.TryAllocateAffineAndClear(RequiredKey, out var slot) ? SlotResult.Slot(slot) : SlotResult.NoSlot,
            SlotOperationKind.Free => Done(() => pool.Free(Slot, Bytes)),
            SlotOperationKind.EmptySlotCount => SlotResult.Count(pool.EmptySlotCount),
            SlotOperationKind.WarmList => SlotResult.List(pool.GetWarmList()),
            SlotOperationKind.UnusedBytesResident => SlotResult.Count(pool.UnusedBytesResident),
            _ => SlotResult.State(pool.GetSlotState(Slot)),
        };
    }

    /// <summary>
    /// Performs the call on <paramref name="pool"/> as <see cref="Invoke"/> does, except that an error the interface
    /// documents (an <see cref="InvalidOperationException"/> or <see cref="ArgumentException"/>, such as a double free)
    /// is returned as a result, the way the caller sees it, so a history can hold it; any other exception, and the
    /// engine's own, propagate.
    /// </summary>
    /// <param name="pool">The pool under test.</param>
    /// <returns>What the call returned or reported.</returns>
    public SlotResult RunOn(ISlotPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        try
        {
            return Invoke(pool);
        }
        catch (Exception error) when (error is InvalidOperationException or ArgumentException && error is not UncontrolledConcurrencyException)
        {
            return SlotResult.Threw(error.GetType());
        }
    }

    /// <summary>Performs the call on <paramref name="model"/>, which it changes, and returns what §3 says it returns.</summary>
    /// <param name="model">The reference model.</param>
    /// <returns>What the call returns.</returns>
    public SlotResult ApplyTo(SlotModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Kind switch
        {
            SlotOperationKind.Allocate => SlotOrNone(model.Allocate(Key)),
            SlotOperationKind.AllocateAffineAndClear => SlotOrNone(model.AllocateAffineAndClear(RequiredKey)),
            SlotOperationKind.Free => model.Free(Slot, Bytes) is { } error ? SlotResult.Threw(error) : SlotResult.Done,
            SlotOperationKind.EmptySlotCount => SlotResult.Count(model.EmptySlotCount),
            SlotOperationKind.WarmList => SlotResult.List(model.GetWarmList()),
            SlotOperationKind.UnusedBytesResident => SlotResult.Count(model.UnusedBytesResident),
            _ => SlotResult.State(model.GetSlotState(Slot)),
        };
    }

    /// <summary>The call as a report shows it, for example <c>alloc(m1)</c> or <c>free(0, 8 B)</c>.</summary>
    public override string ToString() => Kind switch
    {
        SlotOperationKind.Allocate => $"alloc({(Key is { } key ? SlotResult.Describe(key) : string.Empty)})",
        SlotOperationKind.AllocateAffineAndClear => $"alloc-affine-clear({SlotResult.Describe(RequiredKey)})",
        SlotOperationKind.Free => string.Create(CultureInfo.InvariantCulture, $"free({Slot}, {Bytes} B)"),
        SlotOperationKind.EmptySlotCount => "EmptySlotCount",
        SlotOperationKind.WarmList => "GetWarmList",
        SlotOperationKind.UnusedBytesResident => "UnusedBytesResident",
        _ => string.Create(CultureInfo.InvariantCulture, $"GetSlotState({Slot})"),
    };

    private SlotAffinity RequiredKey => Key ?? throw new InvalidOperationException($"{Kind} needs a key, and this operation has none.");

    private static SlotResult SlotOrNone(int slot) => slot < 0 ? SlotResult.NoSlot : SlotResult.Slot(slot);

    private static SlotResult Done(Action free)
    {
        free();
        return SlotResult.Done;
    }
}

/// <summary>
/// What a <see cref="SlotOperation"/> returned, compared by its printed form: a slot, no slot, done, a count, a list,
/// a slot's state, or the type of the error it reported.
/// </summary>
public sealed record SlotResult
{
    private SlotResult(string text, int? slotId)
    {
        Text = text;
        SlotId = slotId;
    }

    /// <summary>No slot was free (an alloc returned false).</summary>
    public static SlotResult NoSlot { get; } = new("none", null);

    /// <summary>A free returned normally.</summary>
    public static SlotResult Done { get; } = new("ok", null);

    /// <summary>The result as reports print it.</summary>
    public string Text { get; }

    /// <summary>The slot an alloc handed out, or null.</summary>
    public int? SlotId { get; }

    /// <summary>An alloc handed out <paramref name="slot"/>.</summary>
    public static SlotResult Slot(int slot) => new(string.Create(CultureInfo.InvariantCulture, $"slot {slot}"), slot);

    /// <summary>A query returned <paramref name="value"/>.</summary>
    public static SlotResult Count(long value) => new(value.ToString(CultureInfo.InvariantCulture), null);

    /// <summary>A query returned the slot list <paramref name="slots"/>.</summary>
    public static SlotResult List(IEnumerable<int> slots) => new($"[{string.Join(", ", slots)}]", null);

    /// <summary>A query returned the slot state <paramref name="state"/>.</summary>
    public static SlotResult State(SlotState state) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{state.Kind}{(state.Affinity is { } key ? " " + Describe(key) : string.Empty)} {state.BytesResident} B"), null);

    /// <summary>The call reported an error of type <paramref name="error"/>.</summary>
    public static SlotResult Threw(Type error) => new($"threw {(error ?? throw new ArgumentNullException(nameof(error))).Name}", null);

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>A key as reports print it: <c>m7</c>, or <c>m7.1</c> for memory index 1.</summary>
    internal static string Describe(SlotAffinity key) =>
        key.MemoryIndex == 0
            ? string.Create(CultureInfo.InvariantCulture, $"m{key.ModuleId}")
            : string.Create(CultureInfo.InvariantCulture, $"m{key.ModuleId}.{key.MemoryIndex}");
}

/// <summary>
/// The sequential specification of a slot pool for linearizability checking: <see cref="SlotModel"/> of a given
/// capacity and threshold, each call applied to a copy so that earlier states stay as they were.
/// </summary>
/// <param name="capacity">The pool's capacity.</param>
/// <param name="maxUnusedWarm">The pool's warm threshold.</param>
public sealed class SlotSequentialModel(int capacity, int maxUnusedWarm) : ISequentialModel<SlotModel, SlotOperation, SlotResult>
{
    /// <inheritdoc />
    public SlotModel InitialState { get; } = new(capacity, maxUnusedWarm);

    /// <inheritdoc />
    public IEqualityComparer<SlotModel> StateComparer => SlotModel.StateComparer;

    /// <inheritdoc />
    public (SlotModel Next, SlotResult Result) Apply(SlotModel state, SlotOperation operation)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.Kind is SlotOperationKind.EmptySlotCount or SlotOperationKind.WarmList or SlotOperationKind.UnusedBytesResident or SlotOperationKind.SlotState)
        {
            // A query leaves the state as it is: no copy needed.
            return (state, operation.ApplyTo(state));
        }

        var next = state.Clone();
        return (next, operation.ApplyTo(next));
    }
}
