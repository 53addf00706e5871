using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.Lands;

/// <summary>
/// A land whose metadata lives outside the managed memory, in a treap (a randomized balanced binary search
/// tree) keyed by range start and augmented with the largest range size in each subtree. Finds descend by
/// that maximum: find-first goes left whenever the left subtree holds a fit, find-last right, and
/// find-largest is find-first of the root's maximum. It never reads or writes the memory it describes, so a
/// client write cannot corrupt it, and it is the land to flush a <see cref="FreeListLand"/> into once control
/// structures can be allocated (docs/design-notes/0040-lands.md).
/// </summary>
/// <remarks>
/// Costs, n = <see cref="RangeCount"/>, expected over the treap priorities: every operation is O(log n)
/// except <see cref="Iterate{TVisitor}"/> (O(n log n), allocation-free) and <see cref="CheckInvariants"/>
/// (O(n)). Nodes live in parallel arrays (36 bytes a range) reused through a free-slot chain, so operations
/// allocate only when the arrays double. Priorities come from a fixed-seed generator, so the shape is
/// deterministic for a given history. Not thread-safe.
/// </remarks>
public sealed class TreeLand : ILand
{
    private const int Nil = -1;
    private const int InitialCapacity = 16;

    private readonly long _grainBytes;
    private readonly AddressRange _bounds;
    private long[] _starts = new long[InitialCapacity];
    private long[] _sizes = new long[InitialCapacity];
    private long[] _maxSizes = new long[InitialCapacity];
    private int[] _left = new int[InitialCapacity];
    private int[] _right = new int[InitialCapacity];
    private uint[] _priorities = new uint[InitialCapacity];
    private int _root = Nil;
    private int _freeSlot = Nil;
    private int _usedSlots;
    private int _count;
    private long _totalBytes;
    private ulong _priorityState = 0x9E3779B97F4A7C15;
    private int _version;

    /// <summary>Creates an empty land whose ranges may lie anywhere in <c>[0, long.MaxValue)</c> rounded down to the grain.</summary>
    /// <param name="grainBytes">The grain, a positive power of two; defaults to one word.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="grainBytes"/> is not a positive power of two.</exception>
    [SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads", Justification = "The overload with bounds takes no optional parameter, so every call binds to exactly one constructor: none or one argument here, two there.")]
    public TreeLand(long grainBytes = LinearMemory.WordBytes)
        : this(grainBytes, new AddressRange(0, long.MaxValue & ~(RequireGrain(grainBytes) - 1)))
    {
    }

    /// <summary>Creates an empty land whose ranges must lie inside <paramref name="bounds"/>.</summary>
    /// <param name="grainBytes">The grain, a positive power of two.</param>
    /// <param name="bounds">A grain-aligned range of non-negative offsets.</param>
    /// <exception cref="ArgumentOutOfRangeException">The grain is not a positive power of two, or the bounds are negative or misaligned.</exception>
    public TreeLand(long grainBytes, AddressRange bounds)
    {
        RequireGrain(grainBytes);
        if (bounds.Start < 0 || bounds.Size < 0 || ((bounds.Start | bounds.Size) & (grainBytes - 1)) != 0 || bounds.Size > long.MaxValue - bounds.Start)
        {
            throw new ArgumentOutOfRangeException(nameof(bounds), bounds,
                $"The bounds must be a range of non-negative offsets whose start and size are multiples of the grain ({grainBytes} bytes).");
        }

        _grainBytes = grainBytes;
        _bounds = bounds;
    }

    /// <inheritdoc />
    public long GrainBytes => _grainBytes;

    /// <inheritdoc />
    public AddressRange Bounds => _bounds;

    /// <inheritdoc />
    public long TotalSize => _totalBytes;

    /// <inheritdoc />
    public int RangeCount => _count;

    /// <inheritdoc />
    public AddressRange Insert(AddressRange range)
    {
        LandRules.ValidateRange(range, _grainBytes, _bounds, nameof(range));
        int below = Floor(range.Start - 1);
        if (below != Nil && End(below) > range.Start)
        {
            LandRules.ThrowOverlap(range, RangeOf(below), nameof(range));
        }

        int above = Ceiling(range.Start);
        if (above != Nil && _starts[above] < range.End)
        {
            LandRules.ThrowOverlap(range, RangeOf(above), nameof(range));
        }

        long mergedStart = range.Start;
        long mergedEnd = range.End;
        if (below != Nil && End(below) == range.Start)
        {
            mergedStart = _starts[below];
            RemoveNode(mergedStart);
        }

        if (above != Nil && _starts[above] == range.End)
        {
            mergedEnd = End(above);
            RemoveNode(range.End);
        }

        var merged = new AddressRange(mergedStart, mergedEnd - mergedStart);
        AddNode(merged);
        _totalBytes += range.Size;
        _version++;
        return merged;
    }

    /// <inheritdoc />
    public void Delete(AddressRange range)
    {
        LandRules.ValidateRange(range, _grainBytes, _bounds, nameof(range));
        int container = Floor(range.Start);
        if (container == Nil || End(container) < range.End)
        {
            LandRules.ThrowNotContained(range, nameof(range));
        }

        Carve(RangeOf(container), range);
    }

    /// <inheritdoc />
    public bool CanInsert(AddressRange range)
    {
        if (!LandRules.IsValidRange(range, _grainBytes, _bounds))
        {
            return false;
        }

        int below = Floor(range.Start - 1);
        int above = Ceiling(range.Start);
        return (below == Nil || End(below) <= range.Start) && (above == Nil || _starts[above] >= range.End);
    }

    /// <inheritdoc />
    public bool CanDelete(AddressRange range)
    {
        if (!LandRules.IsValidRange(range, _grainBytes, _bounds))
        {
            return false;
        }

        int container = Floor(range.Start);
        return container != Nil && End(container) >= range.End;
    }

    /// <inheritdoc />
    public bool TryFindFirst(long size, FindDelete delete, out LandFindResult result)
    {
        LandRules.ValidateFind(size, delete, _grainBytes);
        return TryTake(FirstFit(size), size, delete, out result);
    }

    /// <inheritdoc />
    public bool TryFindLast(long size, FindDelete delete, out LandFindResult result)
    {
        LandRules.ValidateFind(size, delete, _grainBytes);
        return TryTake(LastFit(size), size, delete, out result);
    }

    /// <inheritdoc />
    public bool TryFindLargest(long size, FindDelete delete, out LandFindResult result)
    {
        LandRules.ValidateFind(size, delete, _grainBytes);
        int largest = _root == Nil || _maxSizes[_root] < size ? Nil : FirstFit(_maxSizes[_root]);
        return TryTake(largest, size, delete, out result);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Steps by successor queries (O(log n) each, O(n log n) in all) rather than with a traversal stack, so it
    /// allocates nothing and a visitor may itself iterate this land.
    /// </remarks>
    public bool Iterate<TVisitor>(ref TVisitor visitor)
        where TVisitor : ILandVisitor
    {
        int version = _version;
        int visited = 0;
        for (int node = Ceiling(long.MinValue); node != Nil; node = Ceiling(_starts[node] + 1))
        {
            if (visited++ >= _count)
            {
                ThrowWalkOverrun();
            }

            if (!visitor.Visit(RangeOf(node)))
            {
                return false;
            }

            if (_version != version)
            {
                ThrowModifiedDuringIteration();
            }
        }

        if (visited != _count)
        {
            ThrowWalkOverrun();
        }

        return true;
    }

    /// <inheritdoc />
    public void FlushTo(ILand target) => LandFlush.Move(this, target);

    /// <inheritdoc />
    // Never inlined, so that a violation's stack trace always names the structure that found it, even where the
    // JIT would inline this into a caller or into a delegate call it has devirtualised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CheckInvariants()
    {
        var nodes = new List<int>(_count);
        Invariant.ThrowIfViolated(CollectInOrder(nodes));
        var ranges = new AddressRange[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            ranges[i] = RangeOf(nodes[i]);
        }

        Invariant.ThrowIfViolated(RangeSequenceChecks.Sorted(ranges, RangeOrder.Ascending, LandInvariantIds.Sorted));
        Invariant.ThrowIfViolated(RangeSequenceChecks.MinimumSize(ranges, _grainBytes, LandInvariantIds.NonEmpty));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Aligned(ranges, _grainBytes, LandInvariantIds.Aligned));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Isolated(ranges, LandInvariantIds.Isolated));
        Invariant.ThrowIfViolated(RangeSequenceChecks.WithinBounds(ranges, _bounds.Start, _bounds.End, LandInvariantIds.Bounds));
        long sum = RangeSequenceChecks.TotalSize(ranges);
        Invariant.ThrowIfViolated(Invariant.Require(sum == _totalBytes, LandInvariantIds.Total, "tree land",
            () => $"the ranges add up to {sum} bytes but the recorded total is {_totalBytes}"));
        foreach (int node in nodes)
        {
            long expected = Math.Max(_sizes[node], Math.Max(MaxSize(_left[node]), MaxSize(_right[node])));
            Invariant.ThrowIfViolated(Invariant.Require(_maxSizes[node] == expected, LandInvariantIds.Index, $"node {RangeOf(node)}",
                () => $"the cached subtree maximum is {_maxSizes[node]} but the subtree's largest range holds {expected} bytes"));
        }

        foreach (int node in nodes)
        {
            foreach (int child in new[] { _left[node], _right[node] })
            {
                Invariant.ThrowIfViolated(Invariant.Require(child == Nil || _priorities[child] <= _priorities[node], LandInvariantIds.Heap,
                    $"node {RangeOf(node)}",
                    () => $"its child {RangeOf(child)} has priority {_priorities[child]}, above the node's {_priorities[node]}"));
            }
        }
    }

    /// <summary>Test hook: adds a range without any check, as a bug would.</summary>
    internal void InjectRangeForTest(AddressRange range)
    {
        AddNode(range);
        _totalBytes += range.Size;
    }

    /// <summary>Test hook: shifts the recorded total.</summary>
    internal void CorruptTotalForTest(long deltaBytes) => _totalBytes += deltaBytes;

    /// <summary>Test hook: overwrites the recorded range count.</summary>
    internal void CorruptCountForTest(int count) => _count = count;

    /// <summary>Test hook: moves a node's start without restructuring the tree.</summary>
    internal void CorruptStartForTest(long start, long newStart) => _starts[Find(start)] = newStart;

    /// <summary>Test hook: overwrites a node's cached subtree maximum.</summary>
    internal void CorruptMaxSizeForTest(long start, long maxSize) => _maxSizes[Find(start)] = maxSize;

    /// <summary>Test hook: gives a child of the root a higher priority than the root.</summary>
    internal void CorruptHeapOrderForTest()
    {
        int child = _left[_root] != Nil ? _left[_root] : _right[_root];
        _priorities[_root] = Math.Min(_priorities[_root], uint.MaxValue - 1);
        _priorities[child] = _priorities[_root] + 1;
    }

    private InvariantViolation? CollectInOrder(List<int> nodes)
    {
        // Bounded by the recorded count: a cycle in the child links (only a bug can make one) is reported, not followed.
        var pending = new Stack<int>();
        int node = _root;
        while (node != Nil || pending.Count > 0)
        {
            while (node != Nil)
            {
                if (pending.Count + nodes.Count >= _count)
                {
                    return new InvariantViolation(LandInvariantIds.Count, "tree land",
                        $"the in-order walk found more than the recorded {_count} ranges: the tree is corrupted");
                }

                pending.Push(node);
                node = _left[node];
            }

            node = pending.Pop();
            nodes.Add(node);
            node = _right[node];
        }

        return Invariant.Require(nodes.Count == _count, LandInvariantIds.Count, "tree land",
            () => $"the in-order walk found {nodes.Count} ranges but {_count} are recorded");
    }

    private bool TryTake(int node, long size, FindDelete delete, out LandFindResult result)
    {
        if (node == Nil)
        {
            result = default;
            return false;
        }

        AddressRange found = RangeOf(node);
        AddressRange deleted = LandRules.DeletedPart(found, size, delete);
        if (deleted.Size > 0)
        {
            Carve(found, deleted);
        }

        result = new LandFindResult(found, deleted);
        return true;
    }

    /// <summary>Removes <paramref name="part"/> from the stored range <paramref name="stored"/> that contains it.</summary>
    private void Carve(AddressRange stored, AddressRange part)
    {
        Debug.Assert(stored.Start <= part.Start && part.End <= stored.End, "the part lies inside the stored range");
        RemoveNode(stored.Start);
        if (part.Start > stored.Start)
        {
            AddNode(new AddressRange(stored.Start, part.Start - stored.Start));
        }

        if (part.End < stored.End)
        {
            AddNode(new AddressRange(part.End, stored.End - part.End));
        }

        _totalBytes -= part.Size;
        _version++;
    }

    /// <summary>The lowest-addressed node of at least <paramref name="size"/> bytes, or Nil: O(depth).</summary>
    private int FirstFit(long size)
    {
        int node = _root;
        if (node == Nil || _maxSizes[node] < size)
        {
            return Nil;
        }

        while (true)
        {
            int left = _left[node];
            if (left != Nil && _maxSizes[left] >= size)
            {
                node = left;
            }
            else if (_sizes[node] >= size)
            {
                return node;
            }
            else
            {
                node = _right[node];
                Debug.Assert(node != Nil && _maxSizes[node] >= size, "the subtree maximum promised a fit on the right");
            }
        }
    }

    /// <summary>The highest-addressed node of at least <paramref name="size"/> bytes, or Nil: O(depth).</summary>
    private int LastFit(long size)
    {
        int node = _root;
        if (node == Nil || _maxSizes[node] < size)
        {
            return Nil;
        }

        while (true)
        {
            int right = _right[node];
            if (right != Nil && _maxSizes[right] >= size)
            {
                node = right;
            }
            else if (_sizes[node] >= size)
            {
                return node;
            }
            else
            {
                node = _left[node];
                Debug.Assert(node != Nil && _maxSizes[node] >= size, "the subtree maximum promised a fit on the left");
            }
        }
    }

    /// <summary>The node with the greatest start at or below <paramref name="offset"/>, or Nil.</summary>
    private int Floor(long offset)
    {
        int best = Nil;
        for (int node = _root; node != Nil;)
        {
            if (_starts[node] <= offset)
            {
                best = node;
                node = _right[node];
            }
            else
            {
                node = _left[node];
            }
        }

        return best;
    }

    /// <summary>The node with the least start at or above <paramref name="offset"/>, or Nil.</summary>
    private int Ceiling(long offset)
    {
        int best = Nil;
        for (int node = _root; node != Nil;)
        {
            if (_starts[node] >= offset)
            {
                best = node;
                node = _left[node];
            }
            else
            {
                node = _right[node];
            }
        }

        return best;
    }

    private int Find(long start)
    {
        int node = Floor(start);
        Debug.Assert(node != Nil && _starts[node] == start, "the start is stored");
        return node;
    }

    private void AddNode(AddressRange range)
    {
        int node = NewSlot();
        _starts[node] = range.Start;
        _sizes[node] = range.Size;
        _maxSizes[node] = range.Size;
        _left[node] = Nil;
        _right[node] = Nil;
        _priorities[node] = NextPriority();
        Split(_root, range.Start, out int lower, out int upper);
        _root = Merge(Merge(lower, node), upper);
        _count++;
    }

    private void RemoveNode(long start)
    {
        Split(_root, start, out int lower, out int rest);
        Split(rest, start + 1, out int removed, out int upper);
        Debug.Assert(removed != Nil && _left[removed] == Nil && _right[removed] == Nil && _starts[removed] == start, "exactly the node is split out");
        _left[removed] = _freeSlot;
        _freeSlot = removed;
        _root = Merge(lower, upper);
        _count--;
    }

    /// <summary>Splits <paramref name="node"/>'s subtree into starts below <paramref name="key"/> and starts at or above it.</summary>
    private void Split(int node, long key, out int lower, out int upper)
    {
        if (node == Nil)
        {
            lower = Nil;
            upper = Nil;
        }
        else if (_starts[node] < key)
        {
            Split(_right[node], key, out int middleLower, out upper);
            _right[node] = middleLower;
            Refresh(node);
            lower = node;
        }
        else
        {
            Split(_left[node], key, out lower, out int middleUpper);
            _left[node] = middleUpper;
            Refresh(node);
            upper = node;
        }
    }

    /// <summary>Joins two subtrees, every start of <paramref name="lower"/> below every start of <paramref name="upper"/>.</summary>
    private int Merge(int lower, int upper)
    {
        if (lower == Nil)
        {
            return upper;
        }

        if (upper == Nil)
        {
            return lower;
        }

        if (_priorities[lower] >= _priorities[upper])
        {
            _right[lower] = Merge(_right[lower], upper);
            Refresh(lower);
            return lower;
        }

        _left[upper] = Merge(lower, _left[upper]);
        Refresh(upper);
        return upper;
    }

    private void Refresh(int node) =>
        _maxSizes[node] = Math.Max(_sizes[node], Math.Max(MaxSize(_left[node]), MaxSize(_right[node])));

    private long MaxSize(int node) => node == Nil ? 0 : _maxSizes[node];

    private long End(int node) => _starts[node] + _sizes[node];

    private AddressRange RangeOf(int node) => new(_starts[node], _sizes[node]);

    private int NewSlot()
    {
        if (_freeSlot != Nil)
        {
            int reused = _freeSlot;
            _freeSlot = _left[reused];
            return reused;
        }

        if (_usedSlots == _starts.Length)
        {
            int capacity = _starts.Length * 2;
            Array.Resize(ref _starts, capacity);
            Array.Resize(ref _sizes, capacity);
            Array.Resize(ref _maxSizes, capacity);
            Array.Resize(ref _left, capacity);
            Array.Resize(ref _right, capacity);
            Array.Resize(ref _priorities, capacity);
        }

        return _usedSlots++;
    }

    /// <summary>The next priority from a fixed-seed SplitMix64 sequence: deterministic, yet unrelated to addresses.</summary>
    private uint NextPriority()
    {
        _priorityState += 0x9E3779B97F4A7C15;
        ulong mixed = _priorityState;
        mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9;
        mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EB;
        return (uint)((mixed ^ (mixed >> 31)) >> 32);
    }

    private static long RequireGrain(long grainBytes)
    {
        if (!LandRules.IsValidGrain(grainBytes))
        {
            throw new ArgumentOutOfRangeException(nameof(grainBytes), grainBytes, "The grain must be a positive power of two.");
        }

        return grainBytes;
    }

    [DoesNotReturn]
    private void ThrowWalkOverrun() =>
        new InvariantViolation(LandInvariantIds.Count, "tree land",
            $"the in-order walk did not visit exactly the recorded {_count} ranges: the tree is corrupted").Throw();

    [DoesNotReturn]
    private static void ThrowModifiedDuringIteration() =>
        throw new InvalidOperationException("The land was modified by the visitor during Iterate; a visitor must only read.");
}
