using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Veralloc.Allocators.Concurrency;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.Slots;

/// <summary>
/// A fixed pool of <see cref="Capacity"/> slots (ids <c>0..Capacity-1</c>) that prefers to hand a slot back to
/// the module that used it last, so that module's memory image stays warm (SEED-SEMANTICS §3, spec/slots.md).
/// </summary>
/// <remarks>
/// <code>
///   id:      0      1      2      3      4      5     6     7
///   state: [ U  ] [W k1] [ U  ] [W k2] [W k1] [ C ] [ C ] [ C ]
///                                              ^ lastCold = 5: ids &gt;= lastCold are cold and are
///                                                handed out in increasing order
///   warm list   (every UnusedWarm slot, by free order):   head 1 &lt;-&gt; 3 &lt;-&gt; 4 tail
///                                                          LRU ^           ^ MRU
///   affine lists (one per key that has warm slots):       k1: 1 &lt;-&gt; 4    k2: 3
///
///   U = Used(key?)    W = UnusedWarm(key?, bytesResident)    C = UnusedCold
/// </code>
/// <para>
/// Both kinds of list are intrusive and doubly linked by slot id in flat <c>prev</c>/<c>next</c> arrays, so
/// moving a slot between states is O(1) and allocation-free. The affine lists' heads and tails live in the
/// one dictionary, keyed by <see cref="SlotAffinity"/>; a key whose list empties is removed.
/// </para>
/// <para>
/// Thread safety: every member except <see cref="Capacity"/> and <see cref="MaxUnusedWarm"/> (both immutable)
/// runs entirely between <see cref="IAllocatorLock.Enter"/> and <see cref="IAllocatorLock.Exit"/> of the one
/// lock the allocator owns, queries included, and no internal array escapes it (queries return copies). The
/// lock is the only synchronization, so a controlled <see cref="IAllocatorLock"/> makes every interleaving
/// explorable (docs/design-notes/0011-slot-lock-seam.md). Argument errors are thrown after the lock is
/// released and leave the pool unchanged.
/// </para>
/// <para>
/// Allocation and free are O(1) and allocate nothing: the dictionary is sized for <see cref="Capacity"/> keys
/// up front (there are never more keys than warm slots). Queries are O(result) and allocate their result;
/// <see cref="CheckInvariants"/> is O(capacity).
/// </para>
/// </remarks>
public sealed partial class SlotAllocator
{
    /// <summary>
    /// The largest pool: 2^24 slots. Per slot the allocator keeps about 60 bytes of metadata (four link
    /// arrays, state, affinity, resident bytes, a dictionary entry), so the largest pool costs about 1 GiB.
    /// </summary>
    public const int MaxCapacity = 1 << 24;

    private const int None = -1;

    private readonly IAllocatorLock _lock;
    private readonly int _capacity;
    private readonly int _maxUnusedWarm;

    // Per-slot state, indexed by slot id.
    private readonly SlotKind[] _kind;
    private readonly SlotAffinity?[] _affinity;
    private readonly long[] _bytesResident;

    // Intrusive list links, indexed by slot id; None ends a list.
    private readonly int[] _warmPrev;
    private readonly int[] _warmNext;
    private readonly int[] _affinePrev;
    private readonly int[] _affineNext;

    // Head and tail of each non-empty affine list.
    private readonly Dictionary<SlotAffinity, (int Head, int Tail)> _affineLists;

    private int _warmHead = None;
    private int _warmTail = None;
    private int _lastCold;
    private int _unusedWarm;
    private int _used;
    private long _unusedBytesResident;

    /// <summary>Creates a pool of <paramref name="capacity"/> cold slots.</summary>
    /// <param name="capacity">The number of slots, <c>0..<see cref="MaxCapacity"/></c>.</param>
    /// <param name="maxUnusedWarm">
    /// The threshold of warm slots to keep for affine reuse before evicting the least recently freed one,
    /// <c>0..<paramref name="capacity"/></c> (a larger value would behave exactly like <paramref name="capacity"/>).
    /// </param>
    /// <param name="lockSeam">The lock to own; null creates a <see cref="ThreadingLock"/>. It must not be shared.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="capacity"/> is outside <c>0..MaxCapacity</c>, or <paramref name="maxUnusedWarm"/> is outside
    /// <c>0..capacity</c>.
    /// </exception>
    public SlotAllocator(int capacity, int maxUnusedWarm, IAllocatorLock? lockSeam = null)
    {
        if ((uint)capacity > MaxCapacity)
        {
            ThrowCapacityOutOfRange(capacity);
        }

        if ((uint)maxUnusedWarm > (uint)capacity)
        {
            ThrowThresholdOutOfRange(maxUnusedWarm, capacity);
        }

        _capacity = capacity;
        _maxUnusedWarm = maxUnusedWarm;
        _lock = lockSeam ?? new ThreadingLock();
        _kind = new SlotKind[capacity];
        _affinity = new SlotAffinity?[capacity];
        _bytesResident = new long[capacity];
        _warmPrev = NewLinks(capacity);
        _warmNext = NewLinks(capacity);
        _affinePrev = NewLinks(capacity);
        _affineNext = NewLinks(capacity);
        _affineLists = new Dictionary<SlotAffinity, (int Head, int Tail)>(capacity);
    }

    /// <summary>
    /// Creates the simple allocator: threshold 0, so the least recently freed slot is reused before any cold one
    /// (unless the key has an affine slot).
    /// </summary>
    /// <param name="capacity">The number of slots, <c>0..<see cref="MaxCapacity"/></c>.</param>
    /// <param name="lockSeam">The lock to own; null creates a <see cref="ThreadingLock"/>.</param>
    /// <returns>The new allocator.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is outside <c>0..MaxCapacity</c>.</exception>
    public static SlotAllocator CreateSimple(int capacity, IAllocatorLock? lockSeam = null) => new(capacity, 0, lockSeam);

    /// <summary>The number of slots. Immutable; reading it takes no lock.</summary>
    public int Capacity => _capacity;

    /// <summary>The warm-slot threshold given at construction. Immutable; reading it takes no lock.</summary>
    public int MaxUnusedWarm => _maxUnusedWarm;

    /// <summary>True when no slot is Used.</summary>
    public bool IsEmpty
    {
        get
        {
            _lock.Enter();
            try
            {
                return _used == 0;
            }
            finally
            {
                _lock.Exit();
            }
        }
    }

    /// <summary>The slots not Used: <c>(Capacity - lastCold) + UnusedWarmCount</c>.</summary>
    public int EmptySlotCount
    {
        get
        {
            _lock.Enter();
            try
            {
                return (_capacity - _lastCold) + _unusedWarm;
            }
            finally
            {
                _lock.Exit();
            }
        }
    }

    /// <summary>The number of UnusedWarm slots (the warm list's length).</summary>
    public int UnusedWarmCount
    {
        get
        {
            _lock.Enter();
            try
            {
                return _unusedWarm;
            }
            finally
            {
                _lock.Exit();
            }
        }
    }

    /// <summary>The sum of the resident bytes of the UnusedWarm slots.</summary>
    public long UnusedBytesResident
    {
        get
        {
            _lock.Enter();
            try
            {
                return _unusedBytesResident;
            }
            finally
            {
                _lock.Exit();
            }
        }
    }

    /// <summary>
    /// Allocates a slot: the most recently freed slot affine to <paramref name="affinity"/> if there is one, else a
    /// cold or the least recently freed warm slot as the threshold decides (SEED-SEMANTICS §3). The slot becomes
    /// Used(<paramref name="affinity"/>).
    /// </summary>
    /// <param name="affinity">The key to prefer and to record, or null for none.</param>
    /// <param name="slotId">The slot, or -1 when the call returns false.</param>
    /// <returns>False when every slot is Used (nothing changes); not an error.</returns>
    /// <exception cref="Veralloc.Invariants.InvariantViolationException">
    /// SLOT-EXCLUSIVE: the pool is corrupted so that the chosen slot is still Used (nothing changes). Never thrown
    /// while the other invariants hold.
    /// </exception>
    public bool TryAllocate(SlotAffinity? affinity, out int slotId)
    {
        _lock.Enter();
        try
        {
            slotId = AllocateLocked(affinity);
        }
        finally
        {
            _lock.Exit();
        }

        return slotId != None;
    }

    /// <summary>
    /// Only the affine step of <see cref="TryAllocate"/>: takes the most recently freed slot affine to
    /// <paramref name="affinity"/> and makes it Used with no affinity (its memory image is about to be cleared).
    /// </summary>
    /// <param name="affinity">The key whose affine slot to take.</param>
    /// <param name="slotId">The slot, or -1 when the call returns false.</param>
    /// <returns>False when no warm slot is affine to <paramref name="affinity"/> (nothing changes).</returns>
    /// <exception cref="Veralloc.Invariants.InvariantViolationException">
    /// SLOT-EXCLUSIVE: the pool is corrupted so that the chosen slot is still Used (nothing changes).
    /// </exception>
    public bool TryAllocateAffineAndClear(SlotAffinity affinity, out int slotId)
    {
        _lock.Enter();
        try
        {
            slotId = AllocateAffineAndClearLocked(affinity);
        }
        finally
        {
            _lock.Exit();
        }

        return slotId != None;
    }

    /// <summary>
    /// Returns a Used slot to the pool. It becomes UnusedWarm with the affinity it was allocated with and is
    /// appended (as most recently freed) to the warm list and, if it has a key, to that key's affine list.
    /// </summary>
    /// <param name="slotId">A Used slot.</param>
    /// <param name="bytesResident">The bytes of its memory still resident, <c>&gt;= 0</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="slotId"/> is outside <c>0..Capacity-1</c>; <paramref name="bytesResident"/> is negative or would
    /// overflow <see cref="UnusedBytesResident"/>.
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// The slot is not Used (a double free, or a slot never handed out). The original design aborts the process;
    /// we reject the call and change nothing.
    /// </exception>
    public void Free(int slotId, long bytesResident)
    {
        if ((uint)slotId >= (uint)_capacity)
        {
            ThrowSlotOutOfRange(slotId, _capacity);
        }

        if (bytesResident < 0)
        {
            ThrowNegativeBytesResident(bytesResident);
        }

        FreeRejection rejection = TryFreeValidated(slotId, bytesResident, out SlotKind foundKind, out long totalBefore);
        if (rejection != FreeRejection.None)
        {
            ThrowFreeRejected(rejection, slotId, bytesResident, foundKind, totalBefore);
        }
    }

    /// <summary>The warm list, head (least recently freed) to tail (most recently freed).</summary>
    /// <returns>
    /// A new array of slot ids. On a corrupted pool (see <see cref="CheckInvariants"/>) the walk never throws: it stops
    /// after the warm counter's number of entries, after <see cref="Capacity"/> entries, or at a link outside the pool.
    /// </returns>
    public int[] GetWarmList()
    {
        _lock.Enter();
        try
        {
            // Bounded by the counter and the capacity, and ended by any link outside the pool, so that a corrupted
            // counter or link cannot make a query throw, loop or over-allocate; CheckInvariants reports the damage.
            var result = _unusedWarm <= 0 ? [] : new int[Math.Min(_unusedWarm, _capacity)];
            int length = 0;
            for (int slot = _warmHead; length < result.Length && (uint)slot < (uint)_capacity; slot = _warmNext[slot])
            {
                result[length++] = slot;
            }

            return length == result.Length ? result : result[..length];
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>
    /// The keys that have at least one affine (UnusedWarm) slot, sorted by <see cref="SlotAffinity.ModuleId"/> then
    /// <see cref="SlotAffinity.MemoryIndex"/> (a documented order that does not depend on dictionary history).
    /// </summary>
    /// <returns>A new array of keys.</returns>
    public SlotAffinity[] GetAffinities()
    {
        SlotAffinity[] keys;
        _lock.Enter();
        try
        {
            keys = _affineLists.Count == 0 ? [] : new SlotAffinity[_affineLists.Count];
            _affineLists.Keys.CopyTo(keys, 0);
        }
        finally
        {
            _lock.Exit();
        }

        // Sorting a private copy needs no lock.
        Array.Sort(keys);
        return keys;
    }

    /// <summary>The affine list of <paramref name="affinity"/>, head (least recently freed) to tail; empty if none.</summary>
    /// <param name="affinity">The key.</param>
    /// <returns>
    /// A new array of slot ids. On a corrupted pool the walk never throws: it stops after <see cref="Capacity"/>
    /// entries or at a link outside the pool.
    /// </returns>
    public int[] GetAffineList(SlotAffinity affinity)
    {
        _lock.Enter();
        try
        {
            if (!_affineLists.TryGetValue(affinity, out var list))
            {
                return [];
            }

            // Ended by the capacity and by any link outside the pool, as for the warm list.
            int length = 0;
            for (int slot = list.Head; (uint)slot < (uint)_capacity && length < _capacity; slot = _affineNext[slot])
            {
                length++;
            }

            var result = new int[length];
            int current = list.Head;
            for (int i = 0; i < length; i++)
            {
                result[i] = current;
                current = _affineNext[current];
            }

            return result;
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>The state of one slot.</summary>
    /// <param name="slotId">A slot id, <c>0..Capacity-1</c>.</param>
    /// <returns>Its kind, affinity and (if UnusedWarm) resident bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slotId"/> is outside <c>0..Capacity-1</c>.</exception>
    public SlotState GetSlotState(int slotId)
    {
        if ((uint)slotId >= (uint)_capacity)
        {
            ThrowSlotOutOfRange(slotId, _capacity);
        }

        _lock.Enter();
        try
        {
            return new SlotState(_kind[slotId], _affinity[slotId], _bytesResident[slotId]);
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>
    /// Checks every SLOT-* invariant (spec/slots.md) under the lock, in O(capacity). Allocates; meant for tests
    /// and diagnostics.
    /// </summary>
    /// <exception cref="Veralloc.Invariants.InvariantViolationException">An invariant is broken; its id says which.</exception>
    // Never inlined, so that a violation's stack trace always names the structure that found it, even where the
    // JIT would inline this into a caller or into a delegate call it has devirtualised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CheckInvariants()
    {
        Veralloc.Invariants.InvariantViolation? violation;
        _lock.Enter();
        try
        {
            violation = FindViolationLocked();
        }
        finally
        {
            _lock.Exit();
        }

        Veralloc.Invariants.Invariant.ThrowIfViolated(violation);
    }

    private int AllocateLocked(SlotAffinity? affinity)
    {
        int slot = None;

        // Step 1: a slot this key freed most recently still holds the freshest copy of its image.
        if (affinity is SlotAffinity key)
        {
            slot = TakeAffineTail(key);
        }

        // Step 2: no affine slot. Below the threshold, prefer a cold slot: warm slots are worth keeping for the
        // keys that own them. At or above it, evict the least recently freed warm slot: its key is the least
        // likely to come back, and reusing it keeps the number of warm slots from growing past the threshold.
        if (slot == None)
        {
            if (_unusedWarm < _maxUnusedWarm)
            {
                slot = TakeCold();
                if (slot == None)
                {
                    slot = TakeWarmHead();
                }
            }
            else
            {
                slot = TakeWarmHead();
                if (slot == None)
                {
                    // An empty warm list at or above the threshold means the threshold is 0.
                    Debug.Assert(_maxUnusedWarm == 0, "warm list empty at or above a positive threshold");
                    slot = TakeCold();
                }
            }
        }

        // Step 3: every slot is Used.
        if (slot == None)
        {
            return None;
        }

        MarkUsed(slot, affinity);
        return slot;
    }

    private int AllocateAffineAndClearLocked(SlotAffinity affinity)
    {
        int slot = TakeAffineTail(affinity);
        if (slot != None)
        {
            MarkUsed(slot, affinity: null);
        }

        return slot;
    }

    private int TakeCold()
    {
        if (_lastCold == _capacity)
        {
            return None;
        }

        int slot = _lastCold;
        RequireNotUsed(slot);
        Debug.Assert(_kind[slot] == SlotKind.UnusedCold, "a slot at or above lastCold is not cold");
        _lastCold++;
        return slot;
    }

    private int TakeWarmHead()
    {
        int slot = _warmHead;
        if (slot == None)
        {
            return None;
        }

        RequireNotUsed(slot);
        if (_affinity[slot] is SlotAffinity key)
        {
            ref var list = ref CollectionsMarshal.GetValueRefOrNullRef(_affineLists, key);
            Debug.Assert(!Unsafe.IsNullRef(ref list), "a warm slot with a key has no affine list");
            UnlinkAffine(slot, key, ref list);
        }

        UnlinkWarm(slot);
        return slot;
    }

    private int TakeAffineTail(SlotAffinity key)
    {
        ref var list = ref CollectionsMarshal.GetValueRefOrNullRef(_affineLists, key);
        if (Unsafe.IsNullRef(ref list))
        {
            return None;
        }

        // The tail is the most recently freed slot of this key: the most likely to still have its pages resident.
        int slot = list.Tail;
        Debug.Assert(slot != None, "an affine list in the map is empty");
        RequireNotUsed(slot);
        UnlinkAffine(slot, key, ref list);
        UnlinkWarm(slot);
        return slot;
    }

    private void UnlinkAffine(int slot, SlotAffinity key, ref (int Head, int Tail) list)
    {
        Unlink(slot, _affinePrev, _affineNext, ref list.Head, ref list.Tail);
        if (list.Head == None)
        {
            // `list` refers into the dictionary: it is not touched after the removal.
            _affineLists.Remove(key);
        }
    }

    private void UnlinkWarm(int slot)
    {
        Debug.Assert(_kind[slot] == SlotKind.UnusedWarm, "unlinking a slot that is not warm");
        Unlink(slot, _warmPrev, _warmNext, ref _warmHead, ref _warmTail);
        _unusedWarm--;
        _unusedBytesResident -= _bytesResident[slot];
        _bytesResident[slot] = 0;
    }

    /// <summary>
    /// SLOT-EXCLUSIVE at the one place it could break: a slot chosen for handing out must not be Used. While
    /// SLOT-COLD, SLOT-WARM and SLOT-AFFINE hold this never fires; it costs one compare and makes a corrupted (or
    /// mutated) pool fail where it would hand a slot out twice, before changing anything, rather than later.
    /// </summary>
    private void RequireNotUsed(int slot)
    {
        if (_kind[slot] == SlotKind.Used)
        {
            ThrowExclusiveViolation(slot);
        }
    }

    private void MarkUsed(int slot, SlotAffinity? affinity)
    {
        _kind[slot] = SlotKind.Used;
        _affinity[slot] = affinity;
        _used++;
    }

    private FreeRejection FreeLocked(int slot, long bytesResident, out SlotKind foundKind, out long totalBefore)
    {
        foundKind = _kind[slot];
        totalBefore = _unusedBytesResident;
        if (foundKind != SlotKind.Used)
        {
            return FreeRejection.NotUsed;
        }

        if (bytesResident > long.MaxValue - _unusedBytesResident)
        {
            return FreeRejection.BytesOverflow;
        }

        _kind[slot] = SlotKind.UnusedWarm;
        _bytesResident[slot] = bytesResident;
        _used--;
        _unusedWarm++;
        _unusedBytesResident += bytesResident;

        // Appending at the tails keeps both lists in free order: head = least, tail = most recently freed.
        Append(slot, _warmPrev, _warmNext, ref _warmHead, ref _warmTail);
        if (_affinity[slot] is SlotAffinity key)
        {
            ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_affineLists, key, out bool exists);
            if (!exists)
            {
                list = (None, None);
            }

            Append(slot, _affinePrev, _affineNext, ref list.Head, ref list.Tail);
        }

        return FreeRejection.None;
    }

    private static void Append(int slot, int[] prev, int[] next, ref int head, ref int tail)
    {
        Debug.Assert(prev[slot] == None && next[slot] == None, "appending a slot that is still linked");
        prev[slot] = tail;
        if (tail == None)
        {
            head = slot;
        }
        else
        {
            next[tail] = slot;
        }

        tail = slot;
    }

    private static void Unlink(int slot, int[] prev, int[] next, ref int head, ref int tail)
    {
        int before = prev[slot];
        int after = next[slot];
        if (before == None)
        {
            Debug.Assert(head == slot, "a slot with no predecessor is not the head");
            head = after;
        }
        else
        {
            next[before] = after;
        }

        if (after == None)
        {
            Debug.Assert(tail == slot, "a slot with no successor is not the tail");
            tail = before;
        }
        else
        {
            prev[after] = before;
        }

        prev[slot] = None;
        next[slot] = None;
    }

    private static int[] NewLinks(int capacity)
    {
        var links = new int[capacity];
        links.AsSpan().Fill(None);
        return links;
    }

    internal enum FreeRejection
    {
        None,
        NotUsed,
        BytesOverflow,
    }

    [DoesNotReturn]
    private static void ThrowExclusiveViolation(int slot) =>
        new Veralloc.Invariants.InvariantViolation(SlotInvariantIds.Exclusive,
            string.Create(CultureInfo.InvariantCulture, $"slot {slot}"),
            "the slot was chosen for allocation while it is still Used: it would be handed out twice").Throw();

    [DoesNotReturn]
    private static void ThrowCapacityOutOfRange(int capacity) =>
        throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
            string.Create(CultureInfo.InvariantCulture, $"capacity {capacity} must lie in 0..{MaxCapacity} (MaxCapacity)."));

    [DoesNotReturn]
    private static void ThrowThresholdOutOfRange(int maxUnusedWarm, int capacity) =>
        throw new ArgumentOutOfRangeException(nameof(maxUnusedWarm), maxUnusedWarm,
            string.Create(CultureInfo.InvariantCulture, $"maxUnusedWarm {maxUnusedWarm} must lie in 0..{capacity} (0..capacity)."));

    [DoesNotReturn]
    private static void ThrowSlotOutOfRange(int slotId, int capacity) =>
        throw new ArgumentOutOfRangeException(nameof(slotId), slotId,
            string.Create(CultureInfo.InvariantCulture, $"slot id {slotId} must lie in 0..{capacity - 1} (0..capacity-1)."));

    [DoesNotReturn]
    private static void ThrowNegativeBytesResident(long bytesResident) =>
        throw new ArgumentOutOfRangeException(nameof(bytesResident), bytesResident,
            string.Create(CultureInfo.InvariantCulture, $"bytesResident {bytesResident} must be >= 0."));

    [DoesNotReturn]
    internal static void ThrowFreeRejected(FreeRejection rejection, int slotId, long bytesResident, SlotKind foundKind, long totalBefore,
        string totalName = nameof(UnusedBytesResident))
    {
        if (rejection == FreeRejection.NotUsed)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"slot {slotId} is {foundKind}; only a Used slot may be freed (double free, or a slot never handed out)."));
        }

        Debug.Assert(rejection == FreeRejection.BytesOverflow, "unknown rejection");
        throw new ArgumentOutOfRangeException(nameof(bytesResident), bytesResident,
            string.Create(CultureInfo.InvariantCulture,
                $"bytesResident {bytesResident} would overflow {totalName} {totalBefore}: their sum must be <= {long.MaxValue}."));
    }
}
