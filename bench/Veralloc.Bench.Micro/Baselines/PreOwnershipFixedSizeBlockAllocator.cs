// A timing baseline, kept only in the bench: the fixed-size block allocator as it was before its ownership table (d8840a7^),
// copied from git history with the class renamed. `veralloc-micro validation` times the shipped class against it
// (docs/design-notes/0016-boundary-tags.md). Never used by the product.
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using Veralloc.Allocators;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Bench.Micro.Baselines;

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
/// segregated fit, free list). Free detects a block outside the memory, a misaligned block and an immediate double
/// free (the block is already the class head); an older double free corrupts the list into a cycle, which
/// <see cref="CheckInvariants"/> reports. Not thread-safe.
/// </para>
/// </remarks>
internal sealed class PreOwnershipFixedSizeBlockAllocator : IOffsetAllocator
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

    /// <summary>Creates the allocator with empty class lists.</summary>
    /// <param name="fallback">Supplies class blocks and serves requests above the largest class; its offsets address <paramref name="memory"/>.</param>
    /// <param name="memory">The memory the class lists are threaded through.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public PreOwnershipFixedSizeBlockAllocator(IOffsetAllocator fallback, ILinearMemory memory)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        ArgumentNullException.ThrowIfNull(memory);
        _fallback = fallback;
        _memory = memory;
        _heads = new long[ClassCount];
        _lengths = new long[ClassCount];
        _heads.AsSpan().Fill(None);
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

    /// <inheritdoc />
    /// <remarks>O(1) plus the fallback's cost when the class list is empty or the request is above the largest class.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive, or <paramref name="alignment"/> is not a power of two in <c>1..MaxAlignmentBytes</c>.</exception>
    public bool TryAllocate(long size, long alignment, out long offset)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        int classIndex = ClassIndexFor(Math.Max(size, alignment));
        if (classIndex < 0)
        {
            return _fallback.TryAllocate(size, alignment, out offset);
        }

        long head = _heads[classIndex];
        if (head != None)
        {
            _heads[classIndex] = _memory.ReadWord(head);
            _lengths[classIndex]--;
            offset = head;
            return true;
        }

        long classBytes = ClassBytes(classIndex);
        bool allocated = _fallback.TryAllocate(classBytes, classBytes, out offset);
        Debug.Assert(!allocated || (offset >= 0 && offset <= _memory.SizeBytes - classBytes), "the fallback shares the memory's address space");
        return allocated;
    }

    /// <inheritdoc />
    /// <remarks>O(1) for class blocks (a push); forwarded unchanged to the fallback above the largest class.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> or <paramref name="alignment"/> breaks the rules of <see cref="TryAllocate"/>.</exception>
    /// <exception cref="ArgumentException">A class block outside the memory, not aligned to its class, or already the head of its list; or whatever the fallback rejects.</exception>
    public void Free(long offset, long size, long alignment)
    {
        TextbookArguments.ValidateRequest(size, alignment, MaxAlignmentBytes);
        int classIndex = ClassIndexFor(Math.Max(size, alignment));
        if (classIndex < 0)
        {
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

        if (offset == _heads[classIndex])
        {
            ThrowDoubleFree(offset, classBytes);
        }

        _memory.WriteWord(offset, _heads[classIndex]);
        _heads[classIndex] = offset;
        _lengths[classIndex]++;
    }

    /// <inheritdoc />
    /// <remarks>
    /// O(listed blocks · log) plus the fallback's check. Order: for each class FSB-CLASS then FSB-ACYCLIC; then
    /// FSB-DISJOINT over all classes; then the fallback's invariants.
    /// </remarks>
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
        _fallback.CheckInvariants();
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
        throw new ArgumentException($"The {classBytes}-byte block at offset {offset} is already the head of its free list: double free.", nameof(offset));
}
