using System.Collections;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// A <c>FreeListAllocator</c> of one <see cref="AllocatorBuild"/>, driven in the free-list model's terms, with the
/// abstraction function from its state to the model's (docs/design-notes/0033-model-code-conformance.md).
/// </summary>
/// <remarks>
/// Scale: the model's PAGE is 8 words and the code's 64 KiB, so one model word is <see cref="WordBytes"/> = 8 KiB of
/// heap, and the model's NODE (2 words) is 16 KiB, a multiple of the code's NODE (16 bytes). The model's sizes,
/// alignments, growth in pages, first fit, carving from the top, the underflow guard and the merges then map
/// exactly; a C# state is in the abstraction's domain when every offset and size is a whole number of model words,
/// and a state outside it is reported as a difference. The allocator runs in checked mode, so its live table is
/// the live half of the state, as the model's <c>live</c> array is.
/// </remarks>
internal sealed class FreeListUnderTest
{
    public const int ModelPageWords = 8;
    public const int ModelNodeWords = 2;
    public const long WordBytes = LinearMemory.PageBytes / ModelPageWords;

    private readonly Reflected _allocator;

    // The arguments each live allocation was made with, by byte offset: Free must pass them back.
    private readonly Dictionary<long, (long Size, long Alignment)> _requests = [];

    // The live byte offsets in allocation order: a property-test command frees "live allocation number i".
    private readonly List<long> _order = [];

    public FreeListUnderTest(AllocatorBuild build, int maxPages)
    {
        Reflected options = build.Create(typeof(FreeListOptions).FullName!);
        options.Set(nameof(FreeListOptions.CheckedMode), true);
        object memory = build.CreateObject(typeof(SlabLinearMemory).FullName!, maxPages, 0);
        _allocator = build.Create(typeof(FreeListAllocator).FullName!, memory, options.Target);
    }

    /// <summary>The live allocations in the order they were made, as byte offsets.</summary>
    public IReadOnlyList<long> LiveOffsets => _order;

    /// <summary>The model's NODE rounding: <c>roundUp(max(request, NODE), NODE)</c> words.</summary>
    public static int NeedWords(int requestWords) => (Math.Max(requestWords, ModelNodeWords) + ModelNodeWords - 1) / ModelNodeWords * ModelNodeWords;

    /// <summary>
    /// The model's <c>alloc(request, align)</c>: <c>need · WordBytes − slack</c> bytes (slack 0..15, so that the code's
    /// own rounding to its 16-byte NODE lands on exactly the model's size) at <c>align · WordBytes</c>.
    /// </summary>
    public int? Allocate(int requestWords, int alignWords, int slack) =>
        AllocateBytes((NeedWords(requestWords) * WordBytes) - slack, alignWords * WordBytes) is long offset ? Words(offset, "offset") : null;

    /// <summary>
    /// The model's request for a C# size: ⌈size / WordBytes⌉ words. Exact in the abstraction's domain, where the code
    /// rounds the size to need · WordBytes bytes (need even): then ⌈size / WordBytes⌉ = need.
    /// </summary>
    public static int RequestWords(long size) => checked((int)((size + WordBytes - 1) / WordBytes));

    /// <summary>
    /// The model's alignment for a C# alignment, at least one word. Alignments up to NODE (16 KiB here) change no
    /// position in the domain: every block boundary and size is then a multiple of NODE.
    /// </summary>
    public static int AlignWords(long alignment) => (int)Math.Max(1, alignment / WordBytes);

    /// <summary>A C# allocation request as it is; the byte offset, or null when the allocator returned false.</summary>
    public long? AllocateBytes(long size, long alignment)
    {
        object?[] arguments = [size, alignment, null];
        if (!(bool)_allocator.Call(nameof(FreeListAllocator.TryAllocate), arguments)!)
        {
            return null;
        }

        long offset = (long)arguments[2]!;
        _requests.Add(offset, (size, alignment));
        _order.Add(offset);
        return offset;
    }

    /// <summary>The model's <c>free(offset, size)</c>; the size must be the one this harness allocated there.</summary>
    public void Free(int offsetWords, int sizeWords)
    {
        long offset = offsetWords * WordBytes;
        if (!_requests.TryGetValue(offset, out var request))
        {
            throw new ConformanceException($"the model frees offset {offsetWords}, where the allocator has no live allocation");
        }

        long roundedWords = (request.Size + WordBytes - 1) / WordBytes;
        if (roundedWords != sizeWords)
        {
            throw new ConformanceException($"the model frees {sizeWords} words at offset {offsetWords}, but {roundedWords} were allocated there");
        }

        FreeBytes(offset);
    }

    /// <summary>Frees the live allocation at <paramref name="offset"/> (bytes) with the arguments it was made with.</summary>
    public void FreeBytes(long offset)
    {
        (long size, long alignment) = _requests[offset];
        _allocator.Call(nameof(FreeListAllocator.Free), [offset, size, alignment]);
        _requests.Remove(offset);
        _order.Remove(offset);
    }

    public void CheckInvariants() => _allocator.Call(nameof(FreeListAllocator.CheckInvariants));

    /// <summary>The abstraction function: the allocator's state as the model's, in words.</summary>
    /// <exception cref="ConformanceException">An offset or size is not a whole number of model words.</exception>
    public FreeListState Abstract()
    {
        var blocks = (IReadOnlyList<AddressRange>)_allocator.Call(nameof(FreeListAllocator.GetFreeBlocks))!;
        (int, int)[] free = blocks.Select(b => (Words(b.Start, "free block start"), Words(b.Size, "free block size"))).ToArray();
        var live = new List<(int Offset, int Size)>();
        foreach (DictionaryEntry entry in (IDictionary)_allocator.Get(nameof(FreeListAllocator.LiveTable))!)
        {
            live.Add((Words((long)entry.Key, "live offset"), Words(Reflected.Get<long>(entry.Value!, nameof(LiveAllocation.RoundedSize)), "live size")));
        }

        live.Sort();
        return new FreeListState(_allocator.Get<int>(nameof(FreeListAllocator.PageCount)), free, live.ToArray());
    }

    /// <summary>A byte quantity in model words.</summary>
    /// <exception cref="ConformanceException">It is not a whole number of words: the state left the abstraction's domain.</exception>
    public static int Words(long bytes, string what) =>
        bytes % WordBytes == 0 && bytes / WordBytes is >= 0 and < 256
            ? (int)(bytes / WordBytes)
            : throw new ConformanceException($"the allocator's {what} {bytes} bytes is not a whole number of model words ({WordBytes} bytes) in the model's range");
}

/// <summary>The allocator and the model disagree, or the allocator left the abstraction's domain.</summary>
internal sealed class ConformanceException(string message) : Exception(message);
