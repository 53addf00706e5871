using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.InteropServices;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.Textbook;

/// <summary>
/// The textbook fixed-size-block allocator: size classes 8, 16, 32, …, 2048 bytes, one free list per class
/// threaded through the freed blocks in memory (the first word of a listed block is the next block's offset,
/// -1 at the end), and a pluggable fallback allocator for empty lists and large requests.
/// </summary>
/// <remarks>
/// <para>
/// Class selection. A request <c>(size, alignment)</c> goes to the smallest class <c>c &gt;= max(size, alignment)</c>;
/// since classes are powers of two, a <c>c</c>-aligned block of <c>c</c> bytes satisfies both. Above 2048 the
/// request goes to the fallback unchanged (same size, same alignment), and so does its free.
/// </para>
/// <para>
/// Lists. Allocation pops the class list's head; free pushes the block at the head (LIFO, O(1)). An empty list
/// takes a fresh block of <c>c</c> bytes aligned to <c>c</c> from the fallback; blocks are never returned to the
/// fallback, so memory given to a class stays with it (the textbook weakness: no rebalancing between classes, and
/// up to half a block of internal fragmentation).
/// </para>
/// <para>
/// Shared address space. The fallback's offsets must be offsets into <c>memory</c>: freed class blocks store their
/// link there. Any <see cref="IOffsetAllocator"/> over <c>[0, memory.SizeBytes)</c> works (bump, linked list,
/// segregated fit, free list). Not thread-safe.
/// </para>
/// <para>
/// Ownership. An ownership table records every class block the allocator took from the fallback: its class
/// and whether it is handed out or on its list. So every free is checked against what was handed out: a block
/// never handed out (foreign or interior), a block freed with another class's size or alignment, a double free,
/// and a large free naming a class block (which would hand it back to the fallback while the class still owns
/// it) are all rejected with nothing changed. A pop validates the link it follows (class-aligned, inside the
/// memory) and that the block it hands out is recorded as listed in that class, so a link client code
/// overwrote can never make two owners of one block. Costs one hash-table operation per class allocation and
/// free (docs/design-notes/0008-fixed-size-block-ownership.md).
/// </para>
/// </remarks>
public sealed class FixedSizeBlockAllocator : IOffsetAllocator
{
    /// <summary>The smallest class: one word, enough for the list link.</summary>
    public const long SmallestClassBytes = 8;

    /// <summary>The largest class; larger requests go to the fallback.</summary>
    public const long LargestClassBytes = 2048;

    /// <summary>The number of classes (8 … 2048, powers of two).</summary>
    public const int ClassCount = 9;

    /// <summary>The largest accepted alignment: 1 MiB (larger requests are forwarded, and the fallback may be stricter).</summary>
    public const long MaxAlignmentBytes = 1L << 20;

    private const long None = -1;
    private const int SmallestClassShift = 3;

    private readonly IOffsetAllocator _fallback;
    private readonly ILinearMemory _memory;
    private readonly long[] _heads;
    private readonly long[] _lengths;
    private readonly Dictionary<long, ClassBlock> _owned;

    /// <summary>Creates the allocator with empty class lists.</summary>
    /// <param name="fallback">Supplies class blocks and serves requests above the largest class; its offsets address <paramref name="memory"/>.</param>
    /// <param name="memory">The memory the class lists are threaded through.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public FixedSizeBlockAllocator(IOffsetAllocator fallback, ILinearMemory memory)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        ArgumentNullException.ThrowIfNull(memory);
        _fallback = fallback;
        _memory = memory;
        _heads = new long[ClassCount];
        _lengths = new long[ClassCount];
        _heads.AsSpan().Fill(None);
        _owned = [];
    }

    /// <summary>The fallback allocator.</summary>
    public IOffsetAllocator Fallback => _fallback;

    /// <summary>
    /// The class a request goes to: the smallest class <c>&gt;= max(size, alignment)</c>, or 0 when that exceeds
    /// <see cref="LargestClassBytes"/> (the request goes to the fallback).
    /// </summary>
    /// <param name="size">A positive size.</param>
    /// <param name="alignment">A power of two in <c>1..MaxAlignmentBytes</c>.</param>
    /// <returns>The class size in bytes, or 0.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The request breaks the rules of <see cref="TryAllocate"/>.</exception>
    public static long ClassBytesFor(long size, long alignment)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        int classIndex = ClassIndexFor(Math.Max(size, alignment));
        return classIndex < 0 ? 0 : ClassBytes(classIndex);
    }

    /// <summary>The number of blocks on the free list of class <paramref name="classBytes"/>.</summary>
    /// <param name="classBytes">One of 8, 16, …, 2048.</param>
    /// <returns>The recorded list length.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classBytes"/> is not a class size.</exception>
    public long FreeBlocksInClass(long classBytes)
    {
        if (classBytes < SmallestClassBytes || classBytes > LargestClassBytes || !BitOperations.IsPow2(classBytes))
        {
            throw new ArgumentOutOfRangeException(nameof(classBytes), classBytes,
                $"The class size is {classBytes}; it must be a power of two between {SmallestClassBytes} and {LargestClassBytes}.");
        }

        return _lengths[ClassIndexFor(classBytes)];
    }

    /// <summary>The head block of class <paramref name="classBytes"/>'s list, or -1 when it is empty.</summary>
    /// <param name="classBytes">One of 8, 16, …, 2048.</param>
    /// <returns>The offset the next allocation of that class will get if the list is not empty.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classBytes"/> is not a class size.</exception>
    public long ClassHead(long classBytes)
    {
        FreeBlocksInClass(classBytes);
        return _heads[ClassIndexFor(classBytes)];
    }

    /// <summary>The number of class blocks the allocator owns (handed out or listed), O(1).</summary>
    public int OwnedBlockCount => _owned.Count;

    /// <inheritdoc />
    /// <remarks>O(1) plus the fallback's cost when the class list is empty or the request is above the largest class.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive, or <paramref name="alignment"/> is not a power of two in <c>1..MaxAlignmentBytes</c>.</exception>
    /// <exception cref="InvariantViolationException">
    /// The class list's head link was overwritten by client code: it points outside the memory or off the class
    /// alignment (FSB-CLASS), or at a block this class did not list (FSB-OWNED). Nothing changes.
    /// </exception>
    public bool TryAllocate(long size, long alignment, out long offset)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        int classIndex = ClassIndexFor(Math.Max(size, alignment));
        if (classIndex < 0)
        {
            return _fallback.TryAllocate(size, alignment, out offset);
        }

        long classBytes = ClassBytes(classIndex);
        long head = _heads[classIndex];
        if (head != None)
        {
            // The head came from a link in client-writable memory (unless it was the last block pushed), so the
            // table must confirm it is a listed block of this class before it is handed out, and the next link
            // must be a block of this class before it becomes the head.
            ref ClassBlock record = ref CollectionsMarshal.GetValueRefOrNullRef(_owned, head);
            if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref record) || record.ClassIndex != classIndex || !record.Listed)
            {
                ThrowNotListed(head, classBytes, System.Runtime.CompilerServices.Unsafe.IsNullRef(ref record) ? null : record);
            }

            long next = _memory.ReadWord(head);
            if (next != None && !IsValidBlock(next, classBytes))
            {
                ThrowBadLink(head, next, classBytes, _memory.SizeBytes);
            }

            record.Listed = false;
            _heads[classIndex] = next;
            _lengths[classIndex]--;
            offset = head;
            return true;
        }

        if (!_fallback.TryAllocate(classBytes, classBytes, out offset))
        {
            return false;
        }

        if (!IsValidBlock(offset, classBytes) || !_owned.TryAdd(offset, new ClassBlock((byte)classIndex, Listed: false)))
        {
            ThrowFallbackBroke(offset, classBytes);
        }

        return true;
    }

    /// <inheritdoc />
    /// <remarks>
    /// O(1) for class blocks (a push, after one ownership lookup); forwarded unchanged to the fallback above the
    /// largest class, unless the offset is a class block.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> or <paramref name="alignment"/> breaks the rules of <see cref="TryAllocate"/>.</exception>
    /// <exception cref="ArgumentException">
    /// A class block outside the memory or not aligned to its class; a block this allocator never handed out; one
    /// handed out for another class; a double free; a large free naming a class block; or whatever the fallback
    /// rejects. Nothing changes.
    /// </exception>
    public void Free(long offset, long size, long alignment)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        int classIndex = ClassIndexFor(Math.Max(size, alignment));
        if (classIndex < 0)
        {
            if (_owned.TryGetValue(offset, out ClassBlock owned))
            {
                ThrowWrongClass(offset, size, alignment, 0, owned);
            }

            _fallback.Free(offset, size, alignment);
            return;
        }

        long classBytes = ClassBytes(classIndex);
        if (offset < 0 || offset > _memory.SizeBytes - classBytes)
        {
            throw new ArgumentException(
                $"The {classBytes}-byte block at offset {offset} must lie inside the memory [0, {_memory.SizeBytes}).", nameof(offset));
        }

        if ((offset & (classBytes - 1)) != 0)
        {
            throw new ArgumentException(
                $"Offset {offset} is not a multiple of its class size {classBytes}, so it was not allocated as a block of that class.", nameof(offset));
        }

        ref ClassBlock record = ref CollectionsMarshal.GetValueRefOrNullRef(_owned, offset);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref record))
        {
            ThrowNeverHandedOut(offset, classBytes);
        }

        if (record.ClassIndex != classIndex)
        {
            ThrowWrongClass(offset, size, alignment, classBytes, record);
        }

        if (record.Listed)
        {
            ThrowDoubleFree(offset, classBytes);
        }

        record.Listed = true;
        _memory.WriteWord(offset, _heads[classIndex]);
        _heads[classIndex] = offset;
        _lengths[classIndex]++;
    }

    /// <inheritdoc />
    /// <remarks>
    /// O(listed blocks · log) plus the fallback's check. Order: for each class FSB-CLASS then FSB-ACYCLIC; then
    /// FSB-DISJOINT over all classes; then FSB-OWNED (every listed block is recorded as a listed block of its
    /// class, and the table lists no other block); then the fallback's invariants.
    /// </remarks>
    // Never inlined, so that a violation's stack trace always names the structure that found it, even where the
    // JIT would inline this into a caller or into a delegate call it has devirtualised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void CheckInvariants()
    {
        var all = new List<AddressRange>();
        var visited = new List<long>();
        for (int classIndex = 0; classIndex < ClassCount; classIndex++)
        {
            long classBytes = ClassBytes(classIndex);
            string listName = $"class {classBytes} list";
            visited.Clear();
            // Every link is validated as it is read, so a bad link is reported as FSB-CLASS before the walk
            // length is judged, and no word outside the memory is ever read.
            long head = _heads[classIndex];
            long bad = head == None || IsValidBlock(head, classBytes) ? None : head;
            InvariantViolation? walk = BoundedWalk.Collect(
                bad == None ? head : None,
                block => block == None,
                block =>
                {
                    long next = _memory.ReadWord(block);
                    if (next != None && !IsValidBlock(next, classBytes))
                    {
                        bad = next;
                        return None;
                    }

                    return next;
                },
                _lengths[classIndex],
                visited,
                TextbookInvariantIds.FixedSizeAcyclic,
                listName);
            if (bad != None)
            {
                new InvariantViolation(TextbookInvariantIds.FixedSizeClass, $"{listName} block@{bad}",
                    $"a block of class {classBytes} must be a multiple of {classBytes} inside [0, {_memory.SizeBytes - classBytes}]").Throw();
            }

            Invariant.ThrowIfViolated(walk);
            Invariant.ThrowIfViolated(Invariant.Require(visited.Count == _lengths[classIndex], TextbookInvariantIds.FixedSizeAcyclic, listName,
                () => $"the list ended after {visited.Count} blocks but its recorded length is {_lengths[classIndex]}"));
            foreach (long block in visited)
            {
                all.Add(new AddressRange(block, classBytes));
            }
        }

        AddressRange[] sorted = [.. all];
        Array.Sort(sorted, static (a, b) => a.Start.CompareTo(b.Start));
        Invariant.ThrowIfViolated(RangeSequenceChecks.Disjoint(sorted, TextbookInvariantIds.FixedSizeDisjoint));
        CheckOwnership(sorted);
        _fallback.CheckInvariants();
    }

    /// <summary>Test hook: pushes a block on its class list with no ownership check, as a bug would.</summary>
    internal void PushUncheckedForTest(long offset, long classBytes)
    {
        int classIndex = ClassIndexFor(classBytes);
        _memory.WriteWord(offset, _heads[classIndex]);
        _heads[classIndex] = offset;
        _lengths[classIndex]++;
    }

    /// <summary>FSB-OWNED: the lists and the ownership table describe the same listed blocks, each in its own class.</summary>
    private void CheckOwnership(AddressRange[] listed)
    {
        foreach (AddressRange block in listed)
        {
            bool owned = _owned.TryGetValue(block.Start, out ClassBlock record);
            long recordedBytes = owned ? ClassBytes(record.ClassIndex) : 0;
            Invariant.ThrowIfViolated(Invariant.Require(owned && record.Listed && recordedBytes == block.Size, TextbookInvariantIds.FixedSizeOwned,
                $"class {block.Size} list block@{block.Start}",
                () => owned
                    ? $"the ownership table records it as a {recordedBytes}-byte block that is {(record.Listed ? "listed" : "handed out")}"
                    : "the ownership table has no record of it: the allocator never took it from the fallback"));
        }

        int listedRecords = 0;
        foreach (ClassBlock record in _owned.Values)
        {
            listedRecords += record.Listed ? 1 : 0;
        }

        Invariant.ThrowIfViolated(Invariant.Require(listedRecords == listed.Length, TextbookInvariantIds.FixedSizeOwned, "ownership table",
            () => $"the table records {listedRecords} listed blocks but the class lists hold {listed.Length}"));
    }

    /// <summary>The class index for a request of <paramref name="bytes"/> (already max(size, alignment)), or -1 above the largest class.</summary>
    private static int ClassIndexFor(long bytes)
    {
        if (bytes > LargestClassBytes)
        {
            return -1;
        }

        int ceilingLog2 = bytes <= 1 ? 0 : 64 - BitOperations.LeadingZeroCount((ulong)(bytes - 1));
        return Math.Max(0, ceilingLog2 - SmallestClassShift);
    }

    private static long ClassBytes(int classIndex) => SmallestClassBytes << classIndex;

    private bool IsValidBlock(long block, long classBytes) =>
        block >= 0 && (block & (classBytes - 1)) == 0 && block <= _memory.SizeBytes - classBytes;

    [DoesNotReturn]
    private static void ThrowDoubleFree(long offset, long classBytes) =>
        throw new ArgumentException($"The {classBytes}-byte block at offset {offset} is already on its class list: double free.", nameof(offset));

    [DoesNotReturn]
    private static void ThrowNeverHandedOut(long offset, long classBytes) =>
        throw new ArgumentException(
            $"Offset {offset} is not a {classBytes}-byte block this allocator handed out (a foreign or interior offset): only blocks it allocated can be freed.", nameof(offset));

    [DoesNotReturn]
    private static void ThrowWrongClass(long offset, long size, long alignment, long classBytes, ClassBlock record) =>
        throw new ArgumentException(
            $"Free({offset}, size {size}, alignment {alignment}) names {(classBytes == 0 ? "a request above the largest class" : $"class {classBytes}")}, but offset {offset} was handed out as a {ClassBytes(record.ClassIndex)}-byte class block: pass the size and alignment it was allocated with.",
            nameof(size));

    [DoesNotReturn]
    private static void ThrowNotListed(long head, long classBytes, ClassBlock? record) =>
        new InvariantViolation(TextbookInvariantIds.FixedSizeOwned, $"class {classBytes} list block@{head}",
            (record is null ? "the ownership table has no record of it" : $"the ownership table records it as a {ClassBytes(record.Value.ClassIndex)}-byte block that is {(record.Value.Listed ? "listed" : "handed out")}")
            + ": a link in client memory was overwritten; nothing was changed").Throw();

    [DoesNotReturn]
    private static void ThrowBadLink(long head, long next, long classBytes, long memoryBytes) =>
        new InvariantViolation(TextbookInvariantIds.FixedSizeClass, $"class {classBytes} list block@{head}",
            $"its link {next} must be -1 or a multiple of {classBytes} inside [0, {memoryBytes - classBytes}]: client code overwrote it; nothing was changed").Throw();

    [DoesNotReturn]
    private static void ThrowFallbackBroke(long offset, long classBytes) =>
        throw new InvalidOperationException(
            $"The fallback handed out offset {offset} for a {classBytes}-byte class block, which is not a {classBytes}-aligned block inside the memory or is already a class block: the fallback does not share this allocator's address space.");

    /// <summary>One class block the allocator owns: its class and whether it is on the class list (else it is handed out).</summary>
    private record struct ClassBlock(byte ClassIndex, bool Listed);
}
