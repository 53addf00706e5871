using System.Numerics;

namespace Veralloc.Tests.Property.Models;

/// <summary>SEED-SEMANTICS §4 bump, written plainly: the exact offset of every allocation and the reset at zero live.</summary>
public sealed class BumpModel
{
    private readonly long _start;
    private readonly long _end;

    public BumpModel(long start, long end)
    {
        _start = start;
        _end = end;
        Next = start;
    }

    public long Next { get; private set; }

    public long Live { get; private set; }

    /// <summary>The offset the allocator must return, or null when it must fail (unbounded arithmetic: no overflow).</summary>
    public long? Allocate(long size, long alignment)
    {
        BigInteger aligned = (Next + (BigInteger)alignment - 1) / alignment * alignment;
        if (aligned + size > _end)
        {
            return null;
        }

        Next = (long)(aligned + size);
        Live++;
        return (long)aligned;
    }

    public void Free()
    {
        Live--;
        if (Live == 0)
        {
            Next = _start;
        }
    }
}
