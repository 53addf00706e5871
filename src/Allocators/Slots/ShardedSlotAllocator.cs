using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Veralloc.Allocators.Concurrency;
using Veralloc.Invariants;

namespace Veralloc.Allocators.Slots;

/// <summary>
/// A pool of <see cref="Capacity"/> slots split into <see cref="ShardCount"/> shards, each a <see cref="SlotAllocator"/>
/// with a lock of its own, so that threads working from different home shards do not contend. Each shard keeps the
/// SEED-SEMANTICS §3 policy (affine tail, cold below the threshold, warm head at it) for its own slots; the pool is
/// full only when every shard is (spec/slots.md, docs/design-notes/0013-sharded-slot-allocator.md).
/// </summary>
/// <remarks>
/// <code>
///   global id:   0 1 2 3 4 | 5 6 7 8 9        capacity 10, 2 shards: shard s holds the ids
///   shard:       0         | 1                  GetShardFirstSlotId(s) .. + GetShardCapacity(s) - 1
///   lock:        lock 0    | lock 1             (a global id is first id of its shard + the shard's local id)
///
///   TryAllocate(home 1, key):  shard 1 ──full──► shard 0 ──full──► every lock, in shard order 0, 1;
///                              │ found          │ found          retry 1, 0 under them: a slot, or "full"
///                              ▼                ▼                (every shard full at one instant)
///                            slot             slot
/// </code>
/// <para>
/// Home shard: every allocation names the shard to try first. The overloads without one use the calling thread's
/// home, assigned round robin (<see cref="AssignHomeShard"/>) the first time a thread allocates from this pool and
/// kept in thread-static storage; a thread that alternates between two sharded pools is reassigned each time it
/// switches. Code that must be deterministic, such as a scenario under the systematic engine or Microsoft Coyote,
/// where which real thread runs a logical thread is not part of the schedule, passes the home shard explicitly.
/// </para>
/// <para>
/// A caller whose threads share keys can instead start each keyed allocation at <see cref="GetKeyHomeShard"/>: every
/// key's warm slots then stay in one shard and same-key reuse matches the unsharded pool's, at the price of threads
/// meeting on a shard's lock when their keys share it. docs/benchmarks/contended.md measures both choices.
/// </para>
/// <para>
/// Probing: a shard that has no slot at all lets the allocation move on to the next shard (home + 1, home + 2, …
/// modulo the count), each under that shard's lock alone. If no shard yields a slot, the allocation takes every
/// shard's lock in increasing shard order and tries each shard once more: a slot freed into a shard already probed
/// is found, and "full" is reported only when every shard was full at one instant. Without that last step a free
/// into an already probed shard, together with an allocation that fills the last one, would let a call report a
/// full pool that never was (scenario <c>slots/sharded/free-races-probe</c>).
/// </para>
/// <para>
/// Affinity stays within a shard: a freed slot returns to the shard that owns its id, and a key's warm slots are
/// found by allocations whose home is that shard (or that probe it). Threads that keep to one key set per home
/// shard keep the unsharded pool's reuse; docs/benchmarks/contended.md measures it.
/// </para>
/// <para>
/// Thread safety: every member takes the locks it needs. A single-slot allocation or free, and the per-shard queries,
/// take one lock at a time; the exhaustion step, <see cref="FreeMany"/>, the totals (<see cref="IsEmpty"/>,
/// <see cref="EmptySlotCount"/>, <see cref="UnusedWarmCount"/>, <see cref="UnusedBytesResident"/>) and
/// <see cref="CheckInvariants"/> hold several at once, always taken in increasing shard order, so no two callers can
/// wait on each other and every total is a snapshot of one instant. Argument errors are thrown before any lock is
/// taken, or after every lock is released, and change nothing.
/// </para>
/// </remarks>
public sealed partial class ShardedSlotAllocator
{
    /// <summary>
    /// The most shards: 256. The slow paths hold every shard's lock at once and keep a few bytes per shard on the
    /// stack; more shards than this would exceed any machine's useful parallelism anyway.
    /// </summary>
    public const int MaxShardCount = 256;

    private const int None = -1;

    private readonly SlotAllocator[] _shards;

    // _firstSlotIds[s] is shard s's first global id; _firstSlotIds[ShardCount] is Capacity. Checked by
    // SLOT-SHARD-CONSERVE; written only by the constructor (and a test hook).
    private readonly int[] _firstSlotIds;
    private readonly int _capacity;
    private readonly int _maxUnusedWarm;

    // Identifies this pool to the thread-static home-shard cache without keeping the pool alive.
    private readonly object _homeToken = new();

    // The next home shard to hand out; guarded by shard 0's lock.
    private int _nextHome;

    [ThreadStatic]
    private static object? t_homeToken;

    [ThreadStatic]
    private static int t_homeShard;

    /// <summary>Creates a pool of <paramref name="capacity"/> cold slots in <paramref name="shardCount"/> shards.</summary>
    /// <param name="capacity">
    /// The number of slots, <c><paramref name="shardCount"/>..<see cref="SlotAllocator.MaxCapacity"/></c>. Shard
    /// <c>s</c> gets <c>capacity / shardCount</c> slots, one more when <c>s &lt; capacity % shardCount</c>.
    /// </param>
    /// <param name="shardCount">The number of shards, <c>1..<see cref="MaxShardCount"/></c>.</param>
    /// <param name="maxUnusedWarm">
    /// The pool's warm-slot threshold, <c>0..<paramref name="capacity"/></c>, shared out like the capacity: shard
    /// <c>s</c> keeps <c>maxUnusedWarm / shardCount</c> warm slots, one more when <c>s &lt; maxUnusedWarm % shardCount</c>
    /// (never more than its capacity).
    /// </param>
    /// <param name="lockFactory">
    /// Creates shard <c>s</c>'s lock, called once per shard in increasing order; null creates a
    /// <see cref="ThreadingLock"/> for each. Every shard must get a lock of its own.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="shardCount"/> is outside <c>1..MaxShardCount</c>, <paramref name="capacity"/> is outside
    /// <c>shardCount..MaxCapacity</c>, or <paramref name="maxUnusedWarm"/> is outside <c>0..capacity</c>.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="lockFactory"/> returned null, or one lock for two shards.</exception>
    public ShardedSlotAllocator(int capacity, int shardCount, int maxUnusedWarm, Func<int, IAllocatorLock>? lockFactory = null)
    {
        if ((uint)shardCount - 1 >= MaxShardCount)
        {
            throw new ArgumentOutOfRangeException(nameof(shardCount), shardCount,
                Format($"shardCount {shardCount} must lie in 1..{MaxShardCount} (1..MaxShardCount)."));
        }

        if (capacity < shardCount || capacity > SlotAllocator.MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
                Format($"capacity {capacity} must lie in {shardCount}..{SlotAllocator.MaxCapacity} (shardCount..MaxCapacity): every shard needs at least one slot."));
        }

        if ((uint)maxUnusedWarm > (uint)capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(maxUnusedWarm), maxUnusedWarm,
                Format($"maxUnusedWarm {maxUnusedWarm} must lie in 0..{capacity} (0..capacity)."));
        }

        _capacity = capacity;
        _maxUnusedWarm = maxUnusedWarm;
        _shards = new SlotAllocator[shardCount];
        _firstSlotIds = new int[shardCount + 1];
        var lockOwners = new Dictionary<object, int>(shardCount, ReferenceEqualityComparer.Instance);
        for (int shard = 0; shard < shardCount; shard++)
        {
            // Each lock is created right before its shard's arrays, not beside the other locks: two shards' lock words on
            // one cache line would make threads in different shards contend after all (false sharing).
            IAllocatorLock shardLock = CreateLock(shard, lockFactory, lockOwners);

            // Threshold share <= capacity share: maxUnusedWarm <= capacity gives maxUnusedWarm / n <= capacity / n,
            // and when those are equal, maxUnusedWarm % n <= capacity % n, so the extra warm slot goes only to shards
            // that also have the extra slot.
            int shardCapacity = Share(capacity, shardCount, shard);
            _shards[shard] = new SlotAllocator(shardCapacity, Share(maxUnusedWarm, shardCount, shard), shardLock);
            _firstSlotIds[shard + 1] = _firstSlotIds[shard] + shardCapacity;
        }

        Debug.Assert(_firstSlotIds[shardCount] == capacity, "the shards do not cover the capacity");
    }

    /// <summary>The number of slots over all shards. Immutable; reading it takes no lock.</summary>
    public int Capacity => _capacity;

    /// <summary>The number of shards. Immutable; reading it takes no lock.</summary>
    public int ShardCount => _shards.Length;

    /// <summary>The pool's warm-slot threshold given at construction (the sum of the shards'). Immutable; reading it takes no lock.</summary>
    public int MaxUnusedWarm => _maxUnusedWarm;

    /// <summary>
    /// The calling thread's home shard in this pool: assigned by <see cref="AssignHomeShard"/> the first time the thread
    /// asks (taking shard 0's lock once), then read from thread-static storage without a lock.
    /// </summary>
    public int CurrentThreadHomeShard =>
        ReferenceEquals(t_homeToken, _homeToken) ? t_homeShard : AssignCurrentThreadHomeShard();

    /// <summary>True when no slot in any shard is Used (one instant: every shard's lock is held at once).</summary>
    public bool IsEmpty => SumUnderEveryLock(static shard => shard.UsedCountHeld) == 0;

    /// <summary>The slots not Used, over all shards (one instant: every shard's lock is held at once).</summary>
    public int EmptySlotCount => (int)SumUnderEveryLock(static shard => shard.EmptySlotCountHeld);

    /// <summary>The UnusedWarm slots, over all shards (one instant: every shard's lock is held at once).</summary>
    public int UnusedWarmCount => (int)SumUnderEveryLock(static shard => shard.UnusedWarmCountHeld);

    /// <summary>
    /// The resident bytes of the UnusedWarm slots, over all shards (one instant: every shard's lock is held at once).
    /// Each shard's own total is at most <see cref="long.MaxValue"/> (its frees reject more); the sum of several
    /// could exceed it and then reads as <see cref="long.MaxValue"/>.
    /// </summary>
    public long UnusedBytesResident => SumUnderEveryLock(static shard => shard.UnusedBytesResidentHeld);

    /// <summary>The number of slots in <paramref name="shard"/>. Immutable; reading it takes no lock.</summary>
    /// <param name="shard">A shard, <c>0..ShardCount-1</c>.</param>
    /// <returns>Its capacity.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shard"/> is outside <c>0..ShardCount-1</c>.</exception>
    public int GetShardCapacity(int shard)
    {
        RequireShard(shard, nameof(shard));
        return _shards[shard].Capacity;
    }

    /// <summary>The global id of <paramref name="shard"/>'s first slot. Immutable; reading it takes no lock.</summary>
    /// <param name="shard">A shard, <c>0..ShardCount-1</c>.</param>
    /// <returns>The first id; the shard's ids run to it plus <see cref="GetShardCapacity"/> minus 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shard"/> is outside <c>0..ShardCount-1</c>.</exception>
    public int GetShardFirstSlotId(int shard)
    {
        RequireShard(shard, nameof(shard));
        return _firstSlotIds[shard];
    }

    /// <summary>The shard that owns <paramref name="slotId"/>. Takes no lock.</summary>
    /// <param name="slotId">A slot id, <c>0..Capacity-1</c>.</param>
    /// <returns>The shard, <c>0..ShardCount-1</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slotId"/> is outside <c>0..Capacity-1</c>.</exception>
    public int GetShardOf(int slotId)
    {
        RequireSlot(slotId, nameof(slotId));
        return ShardOf(slotId);
    }

    /// <summary>
    /// Hands out home shards round robin: 0, 1, …, ShardCount-1, 0, … (under shard 0's lock). For callers that keep a
    /// home per worker themselves; the overloads without a home shard call it once per thread.
    /// </summary>
    /// <returns>The next home shard.</returns>
    public int AssignHomeShard()
    {
        IAllocatorLock gate = _shards[0].LockSeam;
        gate.Enter();
        try
        {
            int home = _nextHome;
            _nextHome = home + 1 == _shards.Length ? 0 : home + 1;
            return home;
        }
        finally
        {
            gate.Exit();
        }
    }

    /// <summary>
    /// A home shard chosen by key rather than by thread: the same shard for the same key in every pool of this shard
    /// count, on every run. Allocating from it keeps each key's warm slots in one shard, so same-key reuse is the
    /// unsharded pool's whichever thread frees and allocates; the price is that threads allocating for keys of one shard
    /// meet on its lock (docs/benchmarks/contended.md measures both choices). Takes no lock.
    /// </summary>
    /// <param name="affinity">The key.</param>
    /// <returns>A shard, <c>0..ShardCount-1</c>.</returns>
    public int GetKeyHomeShard(SlotAffinity affinity)
    {
        // A fixed multiplicative mix rather than GetHashCode, which .NET seeds per process: a schedule must replay.
        uint mixed = unchecked(((uint)affinity.ModuleId * 0x9E3779B1u) ^ ((uint)affinity.MemoryIndex * 0x85EBCA77u));
        return (int)((mixed ^ (mixed >> 16)) % (uint)_shards.Length);
    }

    /// <summary><see cref="TryAllocate(int, SlotAffinity?, out int)"/> from <see cref="CurrentThreadHomeShard"/>.</summary>
    /// <param name="affinity">The key to prefer and to record, or null for none.</param>
    /// <param name="slotId">The global slot id, or -1 when the call returns false.</param>
    /// <returns>False when every shard is full (nothing changes); not an error.</returns>
    /// <exception cref="InvariantViolationException">SLOT-EXCLUSIVE: a shard is corrupted (see <see cref="SlotAllocator.TryAllocate"/>).</exception>
    public bool TryAllocate(SlotAffinity? affinity, out int slotId) => TryAllocate(CurrentThreadHomeShard, affinity, out slotId);

    /// <summary>
    /// Allocates a slot: from <paramref name="homeShard"/> by the SEED-SEMANTICS §3 policy (its most recent slot affine
    /// to <paramref name="affinity"/>, else a cold or its least recently freed warm slot as its threshold decides), else
    /// the same from the next shard that has any slot, round from <paramref name="homeShard"/>.
    /// </summary>
    /// <param name="homeShard">The shard to try first, <c>0..ShardCount-1</c>.</param>
    /// <param name="affinity">The key to prefer and to record, or null for none.</param>
    /// <param name="slotId">The global slot id, or -1 when the call returns false.</param>
    /// <returns>False when every shard is full at one instant of the call (nothing changes); not an error.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="homeShard"/> is outside <c>0..ShardCount-1</c>.</exception>
    /// <exception cref="InvariantViolationException">SLOT-EXCLUSIVE: a shard is corrupted (see <see cref="SlotAllocator.TryAllocate"/>).</exception>
    public bool TryAllocate(int homeShard, SlotAffinity? affinity, out int slotId)
    {
        RequireShard(homeShard, nameof(homeShard));
        return Probe(homeShard, affinity, affineOnly: false, out slotId);
    }

    /// <summary><see cref="TryAllocateAffineAndClear(int, SlotAffinity, out int)"/> from <see cref="CurrentThreadHomeShard"/>.</summary>
    /// <param name="affinity">The key whose affine slot to take.</param>
    /// <param name="slotId">The global slot id, or -1 when the call returns false.</param>
    /// <returns>False when no shard has a warm slot affine to <paramref name="affinity"/> (nothing changes).</returns>
    /// <exception cref="InvariantViolationException">SLOT-EXCLUSIVE: a shard is corrupted.</exception>
    public bool TryAllocateAffineAndClear(SlotAffinity affinity, out int slotId) =>
        TryAllocateAffineAndClear(CurrentThreadHomeShard, affinity, out slotId);

    /// <summary>
    /// Only the affine step: takes the most recently freed slot affine to <paramref name="affinity"/> from
    /// <paramref name="homeShard"/>, else from the next shard that has one, and makes it Used with no affinity.
    /// </summary>
    /// <param name="homeShard">The shard to try first, <c>0..ShardCount-1</c>.</param>
    /// <param name="affinity">The key whose affine slot to take.</param>
    /// <param name="slotId">The global slot id, or -1 when the call returns false.</param>
    /// <returns>False when, at one instant of the call, no shard has a warm slot affine to the key (nothing changes).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="homeShard"/> is outside <c>0..ShardCount-1</c>.</exception>
    /// <exception cref="InvariantViolationException">SLOT-EXCLUSIVE: a shard is corrupted.</exception>
    public bool TryAllocateAffineAndClear(int homeShard, SlotAffinity affinity, out int slotId)
    {
        RequireShard(homeShard, nameof(homeShard));
        return Probe(homeShard, affinity, affineOnly: true, out slotId);
    }

    /// <summary>
    /// Returns a Used slot to the shard that owns it, as <see cref="SlotAllocator.Free"/> does: it becomes UnusedWarm and
    /// goes to the tail of that shard's warm list and, if it has a key, of that shard's affine list for the key.
    /// </summary>
    /// <param name="slotId">A Used slot's global id.</param>
    /// <param name="bytesResident">The bytes of its memory still resident, <c>&gt;= 0</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="slotId"/> is outside <c>0..Capacity-1</c>; <paramref name="bytesResident"/> is negative or would
    /// overflow the owning shard's resident total.
    /// </exception>
    /// <exception cref="InvalidOperationException">The slot is not Used (a double free, or a slot never handed out).</exception>
    public void Free(int slotId, long bytesResident)
    {
        RequireSlot(slotId, nameof(slotId));
        if (bytesResident < 0)
        {
            ThrowNegativeBytesResident(nameof(bytesResident), bytesResident);
        }

        int shard = ShardOf(slotId);
        SlotAllocator.FreeRejection rejection = _shards[shard].TryFreeValidated(slotId - _firstSlotIds[shard], bytesResident, out SlotKind foundKind, out long totalBefore);
        if (rejection != SlotAllocator.FreeRejection.None)
        {
            SlotAllocator.ThrowFreeRejected(rejection, slotId, bytesResident, foundKind, totalBefore, ShardTotalName(shard));
        }
    }

    /// <summary>
    /// Frees a batch of Used slots, all or none: each shard the batch touches is locked once (in increasing shard order),
    /// every entry is checked, and only then are they freed, in batch order, as <see cref="Free"/> would one by one.
    /// </summary>
    /// <param name="slotIds">Distinct Used slots' global ids.</param>
    /// <param name="bytesResident">The resident bytes of each, <c>&gt;= 0</c>; as many entries as <paramref name="slotIds"/>.</param>
    /// <exception cref="ArgumentException">The two spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// An id is outside <c>0..Capacity-1</c>, a byte count is negative, or a shard's resident total would overflow.
    /// </exception>
    /// <exception cref="InvalidOperationException">A slot is not Used, or appears twice in the batch (a double free).</exception>
    public void FreeMany(ReadOnlySpan<int> slotIds, ReadOnlySpan<long> bytesResident)
    {
        if (slotIds.Length != bytesResident.Length)
        {
            throw new ArgumentException(
                Format($"slotIds has {slotIds.Length} entries but bytesResident has {bytesResident.Length}; they must be equally long."),
                nameof(bytesResident));
        }

        for (int i = 0; i < slotIds.Length; i++)
        {
            if ((uint)slotIds[i] >= (uint)_capacity)
            {
                throw new ArgumentOutOfRangeException(nameof(slotIds), slotIds[i],
                    Format($"slotIds[{i}] = {slotIds[i]} must lie in 0..{_capacity - 1} (0..capacity-1)."));
            }

            if (bytesResident[i] < 0)
            {
                ThrowNegativeBytesResident(nameof(bytesResident), bytesResident[i], i);
            }
        }

        if (slotIds.Length == 0)
        {
            return;
        }

        RequireDistinct(slotIds);
        int shardCount = _shards.Length;
        Span<bool> touched = stackalloc bool[shardCount];
        Span<long> added = stackalloc long[shardCount];
        foreach (int slotId in slotIds)
        {
            touched[ShardOf(slotId)] = true;
        }

        var rejection = new BatchRejection(None, SlotAllocator.FreeRejection.None, default, 0);
        int entered = 0;
        try
        {
            for (; entered < shardCount; entered++)
            {
                if (touched[entered])
                {
                    _shards[entered].LockSeam.Enter();
                }
            }

            rejection = CheckBatchHeld(slotIds, bytesResident, added);
            if (rejection.Index == None)
            {
                for (int i = 0; i < slotIds.Length; i++)
                {
                    int shard = ShardOf(slotIds[i]);
                    SlotAllocator.FreeRejection freed = _shards[shard].FreeHeld(slotIds[i] - _firstSlotIds[shard], bytesResident[i], out _, out _);
                    Debug.Assert(freed == SlotAllocator.FreeRejection.None, "a checked batch entry was rejected");
                }
            }
        }
        finally
        {
            for (int shard = entered - 1; shard >= 0; shard--)
            {
                if (touched[shard])
                {
                    _shards[shard].LockSeam.Exit();
                }
            }
        }

        if (rejection.Index != None)
        {
            int slotId = slotIds[rejection.Index];
            SlotAllocator.ThrowFreeRejected(rejection.Reason, slotId, bytesResident[rejection.Index], rejection.FoundKind, rejection.TotalBefore,
                ShardTotalName(ShardOf(slotId)) + " (with the batch's earlier entries)");
        }
    }

    /// <summary>The state of one slot.</summary>
    /// <param name="slotId">A global slot id, <c>0..Capacity-1</c>.</param>
    /// <returns>Its kind, affinity and (if UnusedWarm) resident bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slotId"/> is outside <c>0..Capacity-1</c>.</exception>
    public SlotState GetSlotState(int slotId)
    {
        RequireSlot(slotId, nameof(slotId));
        int shard = ShardOf(slotId);
        return _shards[shard].GetSlotState(slotId - _firstSlotIds[shard]);
    }

    /// <summary>The slots of <paramref name="shard"/> not Used (its lock only).</summary>
    /// <param name="shard">A shard, <c>0..ShardCount-1</c>.</param>
    /// <returns>Its <see cref="SlotAllocator.EmptySlotCount"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shard"/> is outside <c>0..ShardCount-1</c>.</exception>
    public int GetShardEmptySlotCount(int shard)
    {
        RequireShard(shard, nameof(shard));
        return _shards[shard].EmptySlotCount;
    }

    /// <summary><paramref name="shard"/>'s warm list as global ids, head (least recently freed) to tail (its lock only).</summary>
    /// <param name="shard">A shard, <c>0..ShardCount-1</c>.</param>
    /// <returns>A new array of global slot ids.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shard"/> is outside <c>0..ShardCount-1</c>.</exception>
    public int[] GetWarmList(int shard)
    {
        RequireShard(shard, nameof(shard));
        int[] warm = _shards[shard].GetWarmList();
        for (int i = 0; i < warm.Length; i++)
        {
            warm[i] += _firstSlotIds[shard];
        }

        return warm;
    }

    private static IAllocatorLock CreateLock(int shard, Func<int, IAllocatorLock>? lockFactory, Dictionary<object, int> owners)
    {
        IAllocatorLock? created = lockFactory is null ? new ThreadingLock() : lockFactory(shard);
        if (created is null)
        {
            throw new ArgumentException(Format($"lockFactory returned null for shard {shard}; every shard needs a lock of its own."), nameof(lockFactory));
        }

        // One lock under two shards would be entered twice by the paths that hold every shard's lock.
        if (!owners.TryAdd(created, shard))
        {
            throw new ArgumentException(
                Format($"lockFactory returned the same lock for shards {owners[created]} and {shard}; every shard needs a lock of its own."),
                nameof(lockFactory));
        }

        return created;
    }

    private static int Share(int total, int shardCount, int shard) => (total / shardCount) + (shard < total % shardCount ? 1 : 0);

    private int AssignCurrentThreadHomeShard()
    {
        int home = AssignHomeShard();
        t_homeShard = home;
        t_homeToken = _homeToken;
        return home;
    }

    private int Next(int shard) => shard + 1 == _shards.Length ? 0 : shard + 1;

    // The shards' ranges are consecutive and ascending, so the owner is the last shard starting at or below the id.
    private int ShardOf(int slotId)
    {
        int found = new ReadOnlySpan<int>(_firstSlotIds, 0, _shards.Length).BinarySearch(slotId);
        return found >= 0 ? found : ~found - 1;
    }

    /// <summary>
    /// Both allocations: each shard from <paramref name="homeShard"/> on under its own lock, the whole allocation
    /// (<paramref name="affineOnly"/> false) or only its affine step; then, if none had a slot, the exhaustion step.
    /// </summary>
    private bool Probe(int homeShard, SlotAffinity? affinity, bool affineOnly, out int slotId)
    {
        int shard = homeShard;
        try
        {
            for (int probe = 0; probe < _shards.Length; probe++)
            {
                SlotAllocator candidate = _shards[shard];
                bool found = affineOnly
                    ? candidate.TryAllocateAffineAndClear(affinity!.Value, out int local)
                    : candidate.TryAllocate(affinity, out local);
                if (found)
                {
                    slotId = _firstSlotIds[shard] + local;
                    return true;
                }

                shard = Next(shard);
            }
        }
        catch (InvariantViolationException violation)
        {
            throw InShard(shard, violation.Violation);
        }

        slotId = RetryUnderEveryLock(homeShard, affinity, affineOnly);
        return slotId != None;
    }

    /// <summary>
    /// The exhaustion step: with every shard's lock held (taken in increasing shard order), tries each shard again from
    /// <paramref name="homeShard"/>. A slot freed into a shard after the probe passed it is found here; None means every
    /// shard was full at this one instant.
    /// </summary>
    private int RetryUnderEveryLock(int homeShard, SlotAffinity? affinity, bool affineOnly)
    {
        Debug.Assert(!affineOnly || affinity is not null, "the affine step needs a key");
        int entered = 0;
        int shard = homeShard;
        try
        {
            EnterEvery(ref entered);
            for (int probe = 0; probe < _shards.Length; probe++)
            {
                int local = affineOnly ? _shards[shard].AllocateAffineAndClearHeld(affinity!.Value) : _shards[shard].AllocateHeld(affinity);
                if (local != None)
                {
                    return _firstSlotIds[shard] + local;
                }

                shard = Next(shard);
            }

            return None;
        }
        catch (InvariantViolationException violation)
        {
            throw InShard(shard, violation.Violation);
        }
        finally
        {
            ExitFirst(entered);
        }
    }

    /// <summary>
    /// The sum of <paramref name="part"/> over the shards with every shard's lock held, so the total describes one
    /// instant; saturating at <see cref="long.MaxValue"/> (only resident bytes can get there; counts are at most the
    /// capacity).
    /// </summary>
    private long SumUnderEveryLock(Func<SlotAllocator, long> part)
    {
        int entered = 0;
        try
        {
            EnterEvery(ref entered);
            long sum = 0;
            foreach (SlotAllocator shard in _shards)
            {
                long value = part(shard);
                sum = value > long.MaxValue - sum ? long.MaxValue : sum + value;
            }

            return sum;
        }
        finally
        {
            ExitFirst(entered);
        }
    }

    /// <summary>
    /// Takes every shard's lock in increasing shard order, counting each in <paramref name="entered"/> as soon as it is
    /// held, so that the caller's finally releases exactly those even if an Enter throws (a controlled lock whose run is
    /// being torn down).
    /// </summary>
    private void EnterEvery(ref int entered)
    {
        for (; entered < _shards.Length; entered++)
        {
            _shards[entered].LockSeam.Enter();
        }
    }

    private void ExitFirst(int entered)
    {
        for (int shard = entered - 1; shard >= 0; shard--)
        {
            _shards[shard].LockSeam.Exit();
        }
    }

    private BatchRejection CheckBatchHeld(ReadOnlySpan<int> slotIds, ReadOnlySpan<long> bytesResident, Span<long> added)
    {
        for (int i = 0; i < slotIds.Length; i++)
        {
            int shard = ShardOf(slotIds[i]);
            SlotAllocator owner = _shards[shard];
            SlotKind kind = owner.KindHeld(slotIds[i] - _firstSlotIds[shard]);
            long before = owner.UnusedBytesResidentHeld + added[shard];
            if (kind != SlotKind.Used)
            {
                return new BatchRejection(i, SlotAllocator.FreeRejection.NotUsed, kind, before);
            }

            if (bytesResident[i] > long.MaxValue - before)
            {
                return new BatchRejection(i, SlotAllocator.FreeRejection.BytesOverflow, kind, before);
            }

            added[shard] += bytesResident[i];
        }

        return new BatchRejection(None, SlotAllocator.FreeRejection.None, default, 0);
    }

    private static void RequireDistinct(ReadOnlySpan<int> slotIds)
    {
        // Sorted copy: a batch is short, and a duplicate must be refused before anything is freed.
        Span<int> sorted = slotIds.Length <= 128 ? stackalloc int[slotIds.Length] : new int[slotIds.Length];
        slotIds.CopyTo(sorted);
        sorted.Sort();
        for (int i = 1; i < sorted.Length; i++)
        {
            if (sorted[i] == sorted[i - 1])
            {
                throw new InvalidOperationException(
                    Format($"slot {sorted[i]} appears twice in the batch; freeing it twice is a double free. Nothing was freed."));
            }
        }
    }

    private void RequireShard(int shard, string parameterName)
    {
        if ((uint)shard >= (uint)_shards.Length)
        {
            throw new ArgumentOutOfRangeException(parameterName, shard,
                Format($"{parameterName} {shard} must lie in 0..{_shards.Length - 1} (0..ShardCount-1)."));
        }
    }

    private void RequireSlot(int slotId, string parameterName)
    {
        if ((uint)slotId >= (uint)_capacity)
        {
            throw new ArgumentOutOfRangeException(parameterName, slotId,
                Format($"slot id {slotId} must lie in 0..{_capacity - 1} (0..capacity-1)."));
        }
    }

    private static string ShardTotalName(int shard) => Format($"shard {shard}'s UnusedBytesResident");

    [DoesNotReturn]
    private static void ThrowNegativeBytesResident(string parameterName, long bytesResident, int? index = null) =>
        throw new ArgumentOutOfRangeException(parameterName, bytesResident, index is int i
            ? Format($"bytesResident[{i}] = {bytesResident} must be >= 0.")
            : Format($"bytesResident {bytesResident} must be >= 0."));

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The first batch entry that cannot be freed (Index -1: none), and why.</summary>
    private readonly record struct BatchRejection(int Index, SlotAllocator.FreeRejection Reason, SlotKind FoundKind, long TotalBefore);
}
