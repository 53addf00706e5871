using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.FreeList;

/// <summary>
/// Checked mode's map of live memory: one bit per NODE granule of the heap, set while the granule belongs
/// to a live allocation. The live table answers "is this offset the start of a live allocation"; this map
/// answers "does this range touch any live byte", which a hash table cannot do without scanning, so that a
/// range the free list is about to hand out can be proven free whatever the list's words say
/// (docs/design-notes/0007-validated-walks.md). One bit per 16 bytes: 1/128 of the heap.
/// </summary>
internal sealed class LiveGranules
{
    private const int GranuleShift = 4;
    private const int BitsPerWordShift = 6;

    private ulong[] _words;

    public LiveGranules(long heapBytes)
    {
        Debug.Assert(FreeListAllocator.NodeBytes == 1L << GranuleShift, "a granule is one NODE");
        _words = new ulong[WordsFor(heapBytes)];
    }

    /// <summary>Marks <c>[start, start + length)</c> live; both are multiples of NODE and the length is positive.</summary>
    public void Mark(long start, long length)
    {
        int needed = WordsFor(start + length);
        if (needed > _words.Length)
        {
            // The heap grew: keep the map as long as the heap, doubling so repeated growth stays amortized.
            Array.Resize(ref _words, Math.Max(needed, _words.Length * 2));
        }

        Apply(start, length, set: true);
    }

    /// <summary>Marks <c>[start, start + length)</c> free again.</summary>
    public void Unmark(long start, long length) => Apply(start, length, set: false);

    /// <summary>Whether any byte of <c>[start, start + length)</c> is live.</summary>
    public bool AnyLive(long start, long length)
    {
        (int firstWord, ulong firstMask, int lastWord, ulong lastMask) = Span(start, length);
        for (int word = firstWord; word <= lastWord && word < _words.Length; word++)
        {
            ulong mask = (word == firstWord ? firstMask : ulong.MaxValue) & (word == lastWord ? lastMask : ulong.MaxValue);
            if ((_words[word] & mask) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Throws FL-LIVE, naming the free node, when the range the allocator is about to hand out from it holds
    /// live bytes: the node's words passed every structural check, yet describe memory that is in use.
    /// </summary>
    public void ThrowIfAnyLive(long start, long length, long node, long nodeSize)
    {
        if (AnyLive(start, length))
        {
            ThrowLive(start, length, node, nodeSize);
        }
    }

    private void Apply(long start, long length, bool set)
    {
        (int firstWord, ulong firstMask, int lastWord, ulong lastMask) = Span(start, length);
        for (int word = firstWord; word <= lastWord; word++)
        {
            ulong mask = (word == firstWord ? firstMask : ulong.MaxValue) & (word == lastWord ? lastMask : ulong.MaxValue);
            _words[word] = set ? _words[word] | mask : _words[word] & ~mask;
        }
    }

    private static (int FirstWord, ulong FirstMask, int LastWord, ulong LastMask) Span(long start, long length)
    {
        Debug.Assert(start >= 0 && length > 0, "a non-empty range inside the heap");
        long first = start >> GranuleShift;
        long last = (start + length - 1) >> GranuleShift;
        return ((int)(first >> BitsPerWordShift), ulong.MaxValue << (int)(first & 63),
                (int)(last >> BitsPerWordShift), ulong.MaxValue >> (63 - (int)(last & 63)));
    }

    private static int WordsFor(long bytes) => checked((int)(((bytes >> GranuleShift) + 63) >> BitsPerWordShift));

    [DoesNotReturn]
    private static void ThrowLive(long start, long length, long node, long nodeSize) =>
        throw new InvariantViolationException(new InvariantViolation(FreeListInvariantIds.Live, $"node {node}",
            $"the free node [{node}, {node + nodeSize}) passed every structural check, but the range [{start}, {start + length}) the allocator would hand out from it holds live bytes: the list is corrupted (client code wrote into free memory?); nothing was changed"));
}
