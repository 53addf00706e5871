namespace Veralloc.Bench.Traces;

/// <summary>
/// Accumulates ops into a <see cref="ParsedTrace"/>, validating allocation semantics as it goes (the parser and
/// the in-process generators both build through it, so a generated trace obeys the same rules as a file).
/// </summary>
public sealed class TraceBuilder
{
    private readonly string _name;
    private readonly TraceKind _kind;
    private TraceOp[] _ops = new TraceOp[1024];
    private int _count;

    // Allocation traces: per id, the live block's size and alignment; size 0 means "not live" (sizes are >= 1).
    private int[] _liveSize = new int[256];
    private int[] _liveAlignment = new int[256];
    private int _idCapacity;
    private int _liveBlocks;
    private long _liveBytes;
    private int _peakLiveBlocks;
    private long _peakLiveBytes;
    private int _allocCount;
    private int _freeCount;
    private int _peakLiveBytesOpIndex = -1;
    private int _lastAllocOpIndex = -1;

    // Slot traces: an upper bound on held slots (every s may fill one), to reject impossible r indices early.
    private int _maxHeld;

    /// <summary>Starts an empty trace.</summary>
    /// <param name="name">The trace's name in reports.</param>
    /// <param name="kind">Allocation or slot ops; the other kind is rejected.</param>
    public TraceBuilder(string name, TraceKind kind)
    {
        _name = name;
        _kind = kind;
    }

    /// <summary>Ops added so far.</summary>
    public int Count => _count;

    /// <summary>Blocks allocated and not yet freed (allocation traces).</summary>
    public int LiveBlocks => _liveBlocks;

    /// <summary>
    /// Appends an op. For a free only <see cref="TraceOp.Id"/> matters: the size and alignment are taken from
    /// the live allocation.
    /// </summary>
    /// <param name="op">The op.</param>
    /// <exception cref="ArgumentException">
    /// The op breaks the trace rules or a <see cref="TraceLimits"/> bound (message says which); nothing is added.
    /// </exception>
    public void Add(TraceOp op)
    {
        switch (op.Kind)
        {
            case TraceOpKind.Alloc:
                RequireKind(TraceKind.Allocation, op);
                AddAlloc(op);
                break;
            case TraceOpKind.Free:
                RequireKind(TraceKind.Allocation, op);
                AddFree(op.Id);
                break;
            case TraceOpKind.SlotAlloc:
                RequireKind(TraceKind.Slot, op);
                if (op.Id < -1)
                {
                    throw new ArgumentException($"A slot key must be -1 (none) or non-negative, got {op.Id}.", nameof(op));
                }

                Append(op);
                _maxHeld++;
                _allocCount++;
                break;
            case TraceOpKind.SlotFree:
                RequireKind(TraceKind.Slot, op);
                if (op.Id < 0 || op.Id >= _maxHeld)
                {
                    throw new ArgumentException(
                        $"Held index {op.Id} is out of range: at most {_maxHeld} slots can be held at this point.", nameof(op));
                }

                Append(op);
                _maxHeld--;
                _freeCount++;
                break;
            default:
                throw new ArgumentException($"Unknown op kind {op.Kind}.", nameof(op));
        }
    }

    /// <summary>Appends frees of every live block, in ascending id order (allocation traces).</summary>
    public void FreeAllLive()
    {
        for (int id = 0; id < _idCapacity && _liveBlocks > 0; id++)
        {
            if (_liveSize[id] != 0)
            {
                AddFree(id);
            }
        }
    }

    /// <summary>Finishes the trace. The builder must not be used afterwards.</summary>
    /// <returns>The trace, owning a right-sized copy of the ops.</returns>
    public ParsedTrace Build() =>
        new(_name, _kind, _ops.AsSpan(0, _count).ToArray(), _idCapacity, _allocCount, _freeCount,
            _peakLiveBlocks, _peakLiveBytes, _liveBlocks, _peakLiveBytesOpIndex, _lastAllocOpIndex);

    private void AddAlloc(TraceOp op)
    {
        // Every bound is checked before EnsureId sizes the id tables from the op.
        if (op.Id is < 0 or > TraceLimits.MaxBlockId)
        {
            throw new ArgumentException($"Block id must be between 0 and {TraceLimits.MaxBlockId}, got {op.Id}.", nameof(op));
        }

        if (op.Size is <= 0 or > TraceLimits.MaxSize)
        {
            throw new ArgumentException($"Size must be between 1 and {TraceLimits.MaxSize}, got {op.Size}.", nameof(op));
        }

        if (op.Alignment <= 0 || (op.Alignment & (op.Alignment - 1)) != 0 || op.Alignment > TraceLimits.MaxAlignment)
        {
            throw new ArgumentException($"Alignment must be a power of two between 1 and {TraceLimits.MaxAlignment}, got {op.Alignment}.", nameof(op));
        }

        EnsureId(op.Id);
        if (_liveSize[op.Id] != 0)
        {
            throw new ArgumentException($"Block id {op.Id} is allocated again while still live.", nameof(op));
        }

        _liveSize[op.Id] = op.Size;
        _liveAlignment[op.Id] = op.Alignment;
        _idCapacity = Math.Max(_idCapacity, op.Id + 1);
        _liveBlocks++;
        _liveBytes += op.Size;
        _peakLiveBlocks = Math.Max(_peakLiveBlocks, _liveBlocks);
        if (_liveBytes > _peakLiveBytes)
        {
            _peakLiveBytes = _liveBytes;
            _peakLiveBytesOpIndex = _count;
        }

        _lastAllocOpIndex = _count;
        _allocCount++;
        Append(op);
    }

    private void AddFree(int id)
    {
        if (id < 0 || id >= _idCapacity || _liveSize[id] == 0)
        {
            throw new ArgumentException($"Block id {id} is freed but is not live.", nameof(id));
        }

        int size = _liveSize[id];
        Append(TraceOp.Free(id, size, _liveAlignment[id]));
        _liveSize[id] = 0;
        _liveBlocks--;
        _liveBytes -= size;
        _freeCount++;
    }

    private void RequireKind(TraceKind expected, TraceOp op)
    {
        if (_kind != expected)
        {
            throw new ArgumentException($"'{op}' is a {expected} op but this is a {_kind} trace (the kinds cannot be mixed).", nameof(op));
        }
    }

    private void EnsureId(int id)
    {
        if (id >= _liveSize.Length)
        {
            int length = Math.Max(id + 1, _liveSize.Length * 2);
            Array.Resize(ref _liveSize, length);
            Array.Resize(ref _liveAlignment, length);
        }
    }

    private void Append(TraceOp op)
    {
        if (_count == _ops.Length)
        {
            Array.Resize(ref _ops, _ops.Length * 2);
        }

        _ops[_count++] = op;
    }
}
