using Veralloc.Allocators.SegregatedFit;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.SegregatedFit;

/// <summary>
/// Small-scope exhaustive check: every sequence of up to <see cref="Depth"/> operations over a small alphabet
/// (three sizes × two alignments, free of the oldest or newest live block) on a 10-granule range. After every step:
/// CheckInvariants, the free blocks equal the gaps between live blocks, no live blocks overlap, a failed allocation
/// changed nothing. Complements the random property suite with complete coverage of the small cases.
/// </summary>
public sealed class SegregatedFitExhaustiveTests
{
    private const int Depth = 4;
    private const long Capacity = 10 * SegregatedFitAllocator.GranuleBytes;

    private static readonly (long Size, long Alignment)[] s_requests = [(16, 1), (30, 1), (48, 1), (16, 64), (30, 64), (48, 64)];

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void EverySmallSequenceKeepsTheInvariants(int secondLevelBits)
    {
        int symbols = s_requests.Length + 2;
        int sequences = 0;
        var ops = new int[Depth];
        for (int length = 1; length <= Depth; length++)
        {
            int total = (int)Math.Pow(symbols, length);
            for (int code = 0; code < total; code++)
            {
                int rest = code;
                for (int i = 0; i < length; i++)
                {
                    ops[i] = rest % symbols;
                    rest /= symbols;
                }

                Replay(ops.AsSpan(0, length), secondLevelBits);
                sequences++;
            }
        }

        Assert.Equal(4680, sequences);
    }

    private static void Replay(ReadOnlySpan<int> ops, int secondLevelBits)
    {
        var allocator = new SegregatedFitAllocator(Capacity, new SegregatedFitOptions { SecondLevelBits = secondLevelBits });
        var live = new List<(long Offset, long Size, long Alignment)>();
        foreach (int op in ops)
        {
            string where = $"after {string.Join(",", ops.ToArray())} (SLI {secondLevelBits})";
            if (op < s_requests.Length)
            {
                (long size, long alignment) = s_requests[op];
                string before = State(allocator);
                if (allocator.TryAllocate(size, alignment, out long offset))
                {
                    Assert.True(offset % alignment == 0, where);
                    live.Add((offset, size, alignment));
                }
                else
                {
                    Assert.True(before == State(allocator), where);
                }
            }
            else if (live.Count > 0)
            {
                int index = op == s_requests.Length ? 0 : live.Count - 1;
                (long offset, long size, long alignment) = live[index];
                live.RemoveAt(index);
                allocator.Free(offset, size, alignment);
            }

            allocator.CheckInvariants();
            var ranges = new List<AddressRange>();
            allocator.CopyFreeRanges(ranges);
            Assert.True(Gaps(live).SequenceEqual(ranges), where);
        }
    }

    private static List<AddressRange> Gaps(List<(long Offset, long Size, long Alignment)> live)
    {
        var gaps = new List<AddressRange>();
        long cursor = 0;
        foreach ((long offset, long size, _) in live.OrderBy(allocation => allocation.Offset))
        {
            long rounded = (size + 15) / 16 * 16;
            Assert.True(offset >= cursor, "live blocks overlap");
            if (offset > cursor)
            {
                gaps.Add(new AddressRange(cursor, offset - cursor));
            }

            cursor = offset + rounded;
        }

        if (cursor < Capacity)
        {
            gaps.Add(new AddressRange(cursor, Capacity - cursor));
        }

        return gaps;
    }

    private static string State(SegregatedFitAllocator allocator)
    {
        var ranges = new List<AddressRange>();
        allocator.CopyFreeRanges(ranges);
        return $"{allocator.FreeBytes}/{allocator.UsedBlockCount}/{string.Join(",", ranges)}";
    }
}
