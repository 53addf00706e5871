namespace Veralloc.Tests.Property.Models;

/// <summary>
/// SEED-SEMANTICS §4 fixed-size blocks: classes 8..2048 chosen by max(size, alignment), one LIFO stack of freed
/// blocks per class. It predicts the exact offset whenever the class stack is non-empty; otherwise the fallback
/// decides (the model then only knows the block must be class-aligned).
/// </summary>
public sealed class FixedSizeBlockModel
{
    private readonly Dictionary<long, Stack<long>> _stacks = [];

    /// <summary>The class for a request, or 0 when it goes to the fallback.</summary>
    public static long ClassOf(long size, long alignment)
    {
        long request = Math.Max(size, alignment);
        for (long c = 8; c <= 2048; c *= 2)
        {
            if (c >= request)
            {
                return c;
            }
        }

        return 0;
    }

    /// <summary>The offset the allocator must return, or null when the fallback decides.</summary>
    public long? Allocate(long size, long alignment)
    {
        long c = ClassOf(size, alignment);
        return c != 0 && _stacks.TryGetValue(c, out Stack<long>? stack) && stack.Count > 0 ? stack.Pop() : null;
    }

    public void Free(long offset, long size, long alignment)
    {
        long c = ClassOf(size, alignment);
        if (c == 0)
        {
            return;
        }

        if (!_stacks.TryGetValue(c, out Stack<long>? stack))
        {
            stack = new Stack<long>();
            _stacks.Add(c, stack);
        }

        stack.Push(offset);
    }

    public int Listed(long classBytes) => _stacks.TryGetValue(classBytes, out Stack<long>? stack) ? stack.Count : 0;
}
