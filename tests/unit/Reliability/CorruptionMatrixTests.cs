using Veralloc.Allocators;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Allocators.Textbook;
using Veralloc.Invariants;
using Xunit.Abstractions;
using static Veralloc.Tests.Unit.Reliability.ReliabilityHarness;

namespace Veralloc.Tests.Unit.Reliability;

/// <summary>
/// The corruption matrix: for every structure whose metadata lives in client-writable memory (the §1 free list
/// in both modes, the free-list land, the linked-list allocator, the fixed-size class lists), overwrite the link
/// and size words of its head, middle and last node with every hostile value, then run every operation on a
/// fresh copy. Each case must never hang, never touch memory outside its bounds, never hand out or report a range
/// outside the memory or overlapping live memory, and either end cleanly or throw an
/// <see cref="InvariantViolationException"/> (or an exception the operation documents for that case) with nothing
/// changed. The one exception is a documented blind spot: a corruption that leaves a plausible structure (its shape
/// is valid, only its byte count is off) cannot be told from the real thing without redundant metadata, so an
/// unchecked free list may act on it; checked mode, the land and the linked list (whose ranges keep a boundary tag,
/// docs/design-notes/0016) and the fixed-size lists may not.
/// Structures whose metadata is external (segregated fit, slots, tree land) have no client-writable words.
/// </summary>
public sealed class CorruptionMatrixTests(ITestOutputHelper output)
{
    private const long Page = LinearMemory.PageBytes;
    private const long Node = FreeListAllocator.NodeBytes;

    // ---- §1 free list ------------------------------------------------------------------------------------

    /// <summary>
    /// One grown page. Six 48-byte blocks carved from the top; the second and fourth are freed, so the list is
    /// Top [P-96, P-48), Mid [P-192, P-144), Low [0, P-288), and P-48, P-144, P-240, P-288 are live.
    /// </summary>
    private sealed class FreeListFixture
    {
        public FreeListFixture(bool checkedMode)
        {
            Memory = new GuardedMemory(new SlabLinearMemory(maxPages: 2));
            Allocator = new FreeListAllocator(Memory, new FreeListOptions { CheckedMode = checkedMode });
            for (int i = 1; i <= 6; i++)
            {
                Assert.True(Allocator.TryAllocate(48, 16, out long offset));
                Assert.Equal(Page - (48 * i), offset);
                Memory.GetSpan(offset, 48).Fill((byte)(0x11 * i));
            }

            Allocator.Free(Top, 48, 16);
            Allocator.Free(Mid, 48, 16);
            Assert.Equal([new AddressRange(Top, 48), new AddressRange(Mid, 48), new AddressRange(0, Page - 288)], Allocator.GetFreeBlocks());
        }

        public const long Top = Page - 96;
        public const long Mid = Page - 192;
        public const long Low = 0;

        public static readonly long[] LiveBlocks = [Page - 48, Page - 144, Page - 240, Page - 288];

        public GuardedMemory Memory { get; }

        public FreeListAllocator Allocator { get; }

        public string Snapshot() =>
            $"head {Allocator.Head} free {Allocator.FreeBytes} table {Allocator.LiveTable?.Count ?? -1} {Hash(Memory)}";
    }

    private static long[] LinkValues(long node, long above, long skip) =>
    [
        FreeListAllocator.EndOfList, node, above, FreeListFixture.Top, skip, 0, node - Node, -Node, -8, 8, 1, Page, Page - Node, 2 * Page,
        1L << 40, long.MaxValue, long.MinValue, long.MaxValue & ~(Node - 1), Page - 144, Page - 240, DisguisedLink,
    ];

    private static long[] SizeValues(long node, long size, long limit) =>
    [
        0, -Node, -1, 8, Node, size - Node, size + Node, limit - node, limit - node + Node, Page, Page - node, 2 * Page - node,
        1L << 40, long.MaxValue, long.MinValue, long.MaxValue & ~(Node - 1),
    ];

    /// <summary>A link to the live block at P-240 after client code wrote a node-shaped pair of words into it.</summary>
    private const long DisguisedLink = long.MinValue + 0x5A;

    private static (string Name, Func<FreeListAllocator, (long, long)?> Run, long FreedBlock)[] FreeListOperations(bool checkedMode)
    {
        var operations = new List<(string, Func<FreeListAllocator, (long, long)?>, long)>
        {
            ("TryAllocate(16, 1)", a => Allocate(a, 16, 1), -1),
            ("TryAllocate(48, 16)", a => Allocate(a, 48, 16), -1),
            ("TryAllocate(64, 64)", a => Allocate(a, 64, 64), -1),
            ("TryAllocate(200, 8)", a => Allocate(a, 200, 8), -1),
            ("TryAllocate(PAGE, 1) (grows)", a => Allocate(a, Page, 1), -1),
            ("TryAllocate(1 MiB, 1) (growth fails)", a => Allocate(a, 1 << 20, 1), -1),
            ("GetFreeBlocks", a => NoBlock(() => a.GetFreeBlocks()), -1),
            ("FreeBlockCount", a => NoBlock(() => _ = a.FreeBlockCount), -1),
            ("CheckInvariants", a => NoBlock(a.CheckInvariants), -1),
        };
        foreach (long live in FreeListFixture.LiveBlocks)
        {
            operations.Add(($"Free({live}, 48, 16)", a => NoBlock(() => a.Free(live, 48, 16)), live));
        }

        if (checkedMode)
        {
            operations.Add(("LiveBytes", a => NoBlock(() => _ = a.LiveBytes), -1));
        }

        return [.. operations];
    }

    private static (long Offset, long Size)? Allocate(FreeListAllocator allocator, long size, long alignment) =>
        allocator.TryAllocate(size, alignment, out long offset) ? (offset, Math.Max((size + Node - 1) & ~(Node - 1), Node)) : null;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FreeListWalksNeverTrustACorruptedWord(bool checkedMode)
    {
        CorruptionTally tally = RunFreeListMatrix(checkedMode);
        output.WriteLine(tally.ToString());

        tally.AssertPassed(checkedMode ? 0 : FreeListUncheckedBlindSpots);

        tally.AssertQuotedInReadme();
    }

    /// <summary>
    /// Cases of the unchecked matrix that act on a plausible corruption. None: a size grown into the live block
    /// above, or a link to a node-shaped live block, points at a last word that does not hold the boundary tag that
    /// size would need, and the carve or merge that would trust it is refused (docs/design-notes/0015; before the
    /// tags, 10 cases, note 0007). The README quotes this figure.
    /// </summary>
    private const int FreeListUncheckedBlindSpots = 0;

    internal static CorruptionTally RunFreeListMatrix(bool checkedMode)
    {
        var tally = new CorruptionTally($"free list ({(checkedMode ? "checked" : "unchecked")})", blindSpotsAllowed: !checkedMode);
        RunWithin(TimeSpan.FromSeconds(120), () =>
        {
            (string Node, long Offset, long Above, long Skip, long Size, long Limit)[] nodes =
            [
                ("head", FreeListFixture.Top, FreeListFixture.Top, FreeListFixture.Low, 48, Page),
                ("middle", FreeListFixture.Mid, FreeListFixture.Top, FreeListAllocator.EndOfList, 48, FreeListFixture.Top - Node),
                ("last", FreeListFixture.Low, FreeListFixture.Mid, FreeListFixture.Low, Page - 288, FreeListFixture.Mid - Node),
            ];
            foreach ((string nodeName, long node, long above, long skip, long size, long limit) in nodes)
            {
                var corruptions = LinkValues(node, above, skip).Distinct().Select(v => ("next", 0L, v))
                    .Concat(SizeValues(node, size, limit).Distinct().Select(v => ("size", 8L, v)));
                foreach ((string word, long wordOffset, long value) in corruptions)
                {
                    foreach ((string opName, Func<FreeListAllocator, (long, long)?> run, long freed) in FreeListOperations(checkedMode))
                    {
                        RunFreeListCase(tally, checkedMode, $"{nodeName} {word} := {value}; {opName}", node + wordOffset, value, run, freed);
                    }
                }
            }
        });
        return tally;
    }

    private static void RunFreeListCase(CorruptionTally tally, bool checkedMode, string where, long wordAt, long value, Func<FreeListAllocator, (long, long)?> run, long freed)
    {
        var f = new FreeListFixture(checkedMode);
        if (value == DisguisedLink)
        {
            // Client code writes (end of list, 32) into its own live block at P-240, and a stray write links to it.
            f.Memory.Inner.WriteWord(Page - 240, FreeListAllocator.EndOfList);
            f.Memory.Inner.WriteWord(Page - 232, 32);
            value = Page - 240;
        }

        f.Memory.Inner.WriteWord(wordAt, value);
        bool plausible = IsPlausible(f.Allocator.CheckInvariants, FreeListIds.Conserved, FreeListIds.Live);
        RunAllocatorCase(tally, where, plausible, f.Memory, FreeListFixture.LiveBlocks.Select(b => (b, 48L)).ToList(), freed, f.Snapshot, () => run(f.Allocator),
            documented: e => !checkedMode && freed >= 0 && e is ArgumentException && e.Message.Contains("overlaps the free block", StringComparison.Ordinal));
    }

    // ---- free-list land ----------------------------------------------------------------------------------

    /// <summary>[0x10, 0x30) two words, [0x40, 0x48) one tagged grain, [0x80, 0xc0) two words, in one page.</summary>
    private sealed class LandFixture
    {
        public LandFixture()
        {
            Memory = new GuardedMemory(new SlabLinearMemory(maxPages: 1, initialPages: 1));
            Land = new FreeListLand(Memory);
            foreach (AddressRange range in Stored)
            {
                Land.Insert(range);
            }
        }

        public static readonly AddressRange[] Stored = [new(0x10, 0x20), new(0x40, 0x8), new(0x80, 0x40)];

        public GuardedMemory Memory { get; }

        public FreeListLand Land { get; }

        public string Snapshot() => $"head {Land.Head} total {Land.TotalSize} count {Land.RangeCount} hint {Land.MaxSizeHint} {Hash(Memory)}";
    }

    private static readonly AddressRange s_landInserted = new(0x200, 0x10);

    private static (string Name, Func<FreeListLand, IEnumerable<AddressRange>> Run)[] LandOperations() =>
    [
        ("Insert([0x200, 0x210))", l => [l.Insert(s_landInserted)]),
        ("Insert([0x30, 0x38))", l => [l.Insert(new AddressRange(0x30, 0x8))]),
        ("Delete([0x18, 0x20))", l => Done(() => l.Delete(new AddressRange(0x18, 0x8)))),
        ("Delete([0x80, 0xc0))", l => Done(() => l.Delete(new AddressRange(0x80, 0x40)))),
        ("TryFindFirst(8, Low)", l => Found(l.TryFindFirst(8, FindDelete.Low, out LandFindResult r), r)),
        ("TryFindFirst(0x20, Entire)", l => Found(l.TryFindFirst(0x20, FindDelete.Entire, out LandFindResult r), r)),
        ("TryFindLast(8, High)", l => Found(l.TryFindLast(8, FindDelete.High, out LandFindResult r), r)),
        ("TryFindLast(0x40, None)", l => Found(l.TryFindLast(0x40, FindDelete.None, out LandFindResult r), r)),
        ("TryFindLargest(8, None)", l => Found(l.TryFindLargest(8, FindDelete.None, out LandFindResult r), r)),
        ("TryFindLargest(0x10, Entire)", l => Found(l.TryFindLargest(0x10, FindDelete.Entire, out LandFindResult r), r)),
        ("Iterate", l => l.ToRangeList()),
        ("CanInsert([0x200, 0x208))", l => Done(() => l.CanInsert(new AddressRange(0x200, 8)))),
        ("CanDelete([0x18, 0x20))", l => Done(() => l.CanDelete(new AddressRange(0x18, 8)))),
        ("FlushTo(tree land)", l =>
        {
            var target = new TreeLand(8, new AddressRange(0, Page));
            l.FlushTo(target);
            return target.ToRangeList();
        }),
        ("CheckInvariants", l => Done(l.CheckInvariants)),
    ];

    private static IEnumerable<AddressRange> Done(Action action)
    {
        action();
        return [];
    }

    private static IEnumerable<AddressRange> Found(bool found, LandFindResult result) => found ? [result.Found, result.Deleted] : [];

    [Fact]
    public void FreeListLandWalksNeverTrustACorruptedWord()
    {
        CorruptionTally tally = RunLandMatrix();
        output.WriteLine(tally.ToString());

        tally.AssertPassed(0);

        tally.AssertQuotedInReadme();
    }

    internal static CorruptionTally RunLandMatrix()
    {
        // A limit grown into the gap above it leaves a plausible list (only LAND-TOTAL is off); the boundary tag must catch it.
        var tally = new CorruptionTally("free-list land", blindSpotsAllowed: false);
        long end = FreeListLand.EndOfList;
        long tag = 1;
        RunWithin(TimeSpan.FromSeconds(120), () =>
        {
            (string Name, long Word, long[] Values)[] targets =
            [
                ("head next", 0x10, [end, 0x10, 0x0, 0x30, 0x38, 0x80, -16, 4, Page, Page - 8, 1L << 40, long.MaxValue, long.MinValue, long.MaxValue & ~7]),
                ("head limit", 0x18, [0, 0x10, 0x18, 0x28, 0x2c, 0x38, 0x40, 0x48, Page, Page + 8, 1L << 40, long.MaxValue, long.MinValue]),
                ("middle word", 0x40, [end | tag, 0x80, 0x80 | tag, 0x40 | tag, 0x10 | tag, 0x48 | tag, 0x88 | tag, 0x100 | tag, 6 | tag, Page | tag, long.MaxValue, long.MinValue | tag]),
                ("last next", 0x80, [end, end | tag, 0x80, 0x40, 0x10, 0xc0, 0xc8, 0x200, Page - 8, Page, 1L << 40, long.MaxValue, long.MinValue]),
                ("last limit", 0x88, [0, 0x80, 0x88, 0x90, 0xa0, 0xbc, 0xc8, 0x1000, Page, Page + 8, 1L << 40, long.MaxValue, long.MinValue]),
            ];
            foreach ((string name, long word, long[] values) in targets)
            {
                foreach (long value in values.Distinct())
                {
                    foreach ((string opName, Func<FreeListLand, IEnumerable<AddressRange>> run) in LandOperations())
                    {
                        RunLandCase(tally, $"{name} := 0x{value:x}; {opName}", word, value, run);
                    }
                }
            }
        });
        return tally;
    }

    private static void RunLandCase(CorruptionTally tally, string where, long wordAt, long value, Func<FreeListLand, IEnumerable<AddressRange>> run)
    {
        var f = new LandFixture();
        f.Memory.Inner.WriteWord(wordAt, value);
        bool plausible = IsPlausible(f.Land.CheckInvariants, LandIds.Total, LandIds.Count, LandIds.Hint);
        string before = f.Snapshot();
        f.Memory.StrayAccesses.Clear();
        List<AddressRange> results = [];
        Exception? thrown = Catch(() => results = [.. run(f.Land)]);
        IReadOnlyList<string> stray = [.. f.Memory.StrayAccesses];

        var outside = results.Where(r => r.Size > 0 && (r.Start < 0 || r.Size > Page - r.Start)).Select(r => $"{r} is outside the memory").ToList();
        var intoLive = results.Where(r => r.Size > 0 && !IsStoredOrInserted(r)).Select(r => $"{r} is not (all) stored").ToList();
        tally.Judge(where, plausible, stray, thrown,
            documented: e => e is ArgumentException && (e.Message.Contains("overlaps", StringComparison.Ordinal) || e.Message.Contains("does not lie wholly inside", StringComparison.Ordinal)),
            unchanged: () => f.Snapshot() == before,
            outside, intoLive);
    }

    private static bool IsStoredOrInserted(AddressRange range) =>
        LandFixture.Stored.Append(s_landInserted).Append(new AddressRange(0x10, 0x28)).Any(stored => stored.Start <= range.Start && range.End <= stored.End);

    // ---- linked-list allocator ---------------------------------------------------------------------------

    /// <summary>One page; live 0 (24 B), 168 (32 B), 240 (64 B); free regions, head first: [200, 240), [64, 168), [304, P).</summary>
    private sealed class LinkedListFixture
    {
        public LinkedListFixture(bool checkFrees)
        {
            Memory = new GuardedMemory(new SlabLinearMemory(maxPages: 1, initialPages: 1));
            Allocator = new LinkedListAllocator(Memory, checkFrees);
            long[] expected = [0, 64, 168, 200, 240];
            (long Size, long Alignment)[] requests = [(24, 8), (100, 64), (32, 8), (40, 8), (64, 8)];
            for (int i = 0; i < requests.Length; i++)
            {
                Assert.True(Allocator.TryAllocate(requests[i].Size, requests[i].Alignment, out long offset));
                Assert.Equal(expected[i], offset);
                Memory.GetSpan(offset, (int)requests[i].Size).Fill((byte)(0x23 * (i + 1)));
            }

            Allocator.Free(64, 100, 64);
            Allocator.Free(200, 40, 8);
        }

        public static readonly (long Offset, long Size)[] Live = [(0, 24), (168, 32), (240, 64)];

        public GuardedMemory Memory { get; }

        public LinkedListAllocator Allocator { get; }

        public string Snapshot() => $"head {Allocator.HeadOffset} free {Allocator.FreeBytes} live {Allocator.LiveBytes} {Hash(Memory)}";
    }

    private static (string Name, Func<LinkedListAllocator, (long, long)?> Run, long Freed)[] LinkedListOperations() =>
    [
        ("TryAllocate(16, 8)", a => a.TryAllocate(16, 8, out long o) ? (o, 16) : null, -1),
        ("TryAllocate(32, 8)", a => a.TryAllocate(32, 8, out long o) ? (o, 32) : null, -1),
        ("TryAllocate(100, 8)", a => a.TryAllocate(100, 8, out long o) ? (o, 104) : null, -1),
        ("TryAllocate(1000, 64)", a => a.TryAllocate(1000, 64, out long o) ? (o, 1000) : null, -1),
        ("TryAllocate(PAGE, 1)", a => a.TryAllocate(Page, 1, out long o) ? (o, Page) : null, -1),
        ("Free(0, 24, 8)", a => NoBlock(() => a.Free(0, 24, 8)), 0),
        ("Free(168, 32, 8)", a => NoBlock(() => a.Free(168, 32, 8)), 168),
        ("Free(240, 64, 8)", a => NoBlock(() => a.Free(240, 64, 8)), 240),
        ("CopyFreeRegions", a => NoBlock(() => a.CopyFreeRegions([])), -1),
        ("CheckInvariants", a => NoBlock(a.CheckInvariants), -1),
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LinkedListWalksNeverTrustACorruptedWord(bool checkFrees)
    {
        CorruptionTally tally = RunLinkedListMatrix(checkFrees);
        output.WriteLine(tally.ToString());

        tally.AssertPassed(0);

        tally.AssertQuotedInReadme();
    }

    internal static CorruptionTally RunLinkedListMatrix(bool checkFrees)
    {
        // A size grown over live memory leaves a plausible list (only LL-CONSERVE or LL-DISJOINT is off); the boundary tag must catch it.
        var tally = new CorruptionTally($"linked list ({(checkFrees ? "checked frees" : "unchecked frees")})", blindSpotsAllowed: false);
        RunWithin(TimeSpan.FromSeconds(120), () =>
        {
            (string Name, long Node, long Size)[] nodes = [("head", 200, 40), ("middle", 64, 104), ("last", 304, Page - 304)];
            foreach ((string nodeName, long node, long size) in nodes)
            {
                long[] sizes = [0, -16, -1, 8, 12, 16, size - 8, size + 8, size + 16, Page - node, Page - node + 8, Page, 1L << 40, long.MaxValue, long.MinValue];
                long[] links = [-1, node, 200, 64, 304, 0, 168, 4, -8, Page, Page - 8, Page - 16, 1L << 40, long.MaxValue, long.MinValue];
                var corruptions = sizes.Distinct().Select(v => ("size", 0L, v)).Concat(links.Distinct().Select(v => ("next", 8L, v)));
                foreach ((string word, long wordOffset, long value) in corruptions)
                {
                    foreach ((string opName, Func<LinkedListAllocator, (long, long)?> run, long freed) in LinkedListOperations())
                    {
                        RunLinkedListCase(tally, checkFrees, $"{nodeName} {word} := {value}; {opName}", node + wordOffset, value, run, freed);
                    }
                }
            }
        });
        return tally;
    }

    private static void RunLinkedListCase(CorruptionTally tally, bool checkFrees, string where, long wordAt, long value, Func<LinkedListAllocator, (long, long)?> run, long freed)
    {
        var f = new LinkedListFixture(checkFrees);
        f.Memory.Inner.WriteWord(wordAt, value);
        bool plausible = IsPlausible(f.Allocator.CheckInvariants, TextbookIds.LinkedListConserve, TextbookIds.LinkedListDisjoint);
        RunAllocatorCase(tally, where, plausible, f.Memory, LinkedListFixture.Live, freed, f.Snapshot, () => run(f.Allocator),
            documented: e => checkFrees && freed >= 0 && e is ArgumentException);
    }

    // ---- fixed-size class lists --------------------------------------------------------------------------

    /// <summary>
    /// Class 32 holds five blocks from a bump fallback, at 0, 32, 64, 96, 128; 0, 64 and 128 are freed, so the
    /// list is 128 (head), 64 (middle), 0 (last). Live: 32 and 96 (class 32), 160 (class 16), 192 (class 64).
    /// </summary>
    private sealed class FixedSizeFixture
    {
        public FixedSizeFixture()
        {
            Memory = new GuardedMemory(new SlabLinearMemory(maxPages: 1, initialPages: 1));
            Allocator = new FixedSizeBlockAllocator(new BumpAllocator(0, Page), Memory);
            for (int i = 0; i < 5; i++)
            {
                Assert.True(Allocator.TryAllocate(32, 32, out long offset));
                Assert.Equal(32 * i, offset);
                Memory.GetSpan(offset, 32).Fill((byte)(0x31 * (i + 1)));
            }

            Assert.True(Allocator.TryAllocate(16, 16, out long class16));
            Assert.True(Allocator.TryAllocate(64, 64, out long class64));
            Assert.Equal((160, 192), (class16, class64));
            Memory.GetSpan(160, 16).Fill(0x5D);
            Memory.GetSpan(192, 64).Fill(0x6E);
            foreach (long listed in new long[] { 0, 64, 128 })
            {
                Allocator.Free(listed, 32, 32);
            }
        }

        public static readonly (long Offset, long Size)[] Live = [(32, 32), (96, 32), (160, 16), (192, 64)];

        public GuardedMemory Memory { get; }

        public FixedSizeBlockAllocator Allocator { get; }

        public string Snapshot() =>
            $"{Allocator.FreeBlocksInClass(32)}@{Allocator.ClassHead(32)} {Allocator.FreeBlocksInClass(16)}@{Allocator.ClassHead(16)} owned {Allocator.OwnedBlockCount} {Hash(Memory)}";
    }

    [Fact]
    public void FixedSizeListsNeverTrustACorruptedLink()
    {
        var tally = new CorruptionTally("fixed-size class lists", blindSpotsAllowed: false);
        RunWithin(TimeSpan.FromSeconds(120), () =>
        {
            foreach ((string nodeName, long node) in new[] { ("head", 128L), ("middle", 64L), ("last", 0L) })
            {
                long[] links = [-1, node, 128, 64, 0, 32, 96, 160, 192, 8, 16, -32, Page - 32, Page, 1L << 40, long.MaxValue, long.MinValue];
                foreach (long value in links.Distinct())
                {
                    RunFixedSizeCases(tally, $"{nodeName} link := {value}", node, value);
                }
            }
        });

        output.WriteLine(tally.ToString());
        tally.AssertPassed(0);
        tally.AssertQuotedInReadme();
    }

    /// <summary>Each operation on a fresh corrupted fixture; the pops run one after another, each judged on its own.</summary>
    private static void RunFixedSizeCases(CorruptionTally tally, string corruption, long node, long value)
    {
        for (int pops = 1; pops <= 4; pops++)
        {
            FixedSizeFixture f = Corrupted(node, value, out bool plausible);
            var handedOut = new List<(long Offset, long Size)>(FixedSizeFixture.Live);
            for (int pop = 1; pop <= pops; pop++)
            {
                // Each block a pop hands out joins the live set the next pop must not overlap.
                (long, long)? popped = RunAllocatorCase(tally, $"{corruption}; pop {pop} of {pops}", plausible, f.Memory, handedOut, -1, f.Snapshot,
                    () => f.Allocator.TryAllocate(32, 32, out long o) ? (o, 32) : null, documented: _ => false);
                if (popped is (long offset, long length))
                {
                    handedOut.Add((offset, length));
                }
            }
        }

        foreach ((string name, Func<FixedSizeBlockAllocator, (long, long)?> run, long freed) in new (string, Func<FixedSizeBlockAllocator, (long, long)?>, long)[]
        {
            ("Free(32, 32, 32)", a => NoBlock(() => a.Free(32, 32, 32)), 32),
            ("Free(160, 16, 16)", a => NoBlock(() => a.Free(160, 16, 16)), 160),
            ("TryAllocate(16, 16)", a => a.TryAllocate(16, 16, out long o) ? (o, 16) : null, -1),
            ("TryAllocate(5000, 8)", a => a.TryAllocate(5000, 8, out long o) ? (o, 5000) : null, -1),
            ("CheckInvariants", a => NoBlock(a.CheckInvariants), -1),
        })
        {
            FixedSizeFixture f = Corrupted(node, value, out bool plausible);
            RunAllocatorCase(tally, $"{corruption}; {name}", plausible, f.Memory, FixedSizeFixture.Live, freed, f.Snapshot, () => run(f.Allocator), documented: _ => false);
        }
    }

    private static FixedSizeFixture Corrupted(long node, long value, out bool plausible)
    {
        var f = new FixedSizeFixture();
        f.Memory.Inner.WriteWord(node, value);
        plausible = IsPlausible(f.Allocator.CheckInvariants);
        return f;
    }

    // ---- shared --------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs one operation of an allocator matrix on its corrupted fixture and judges it: the result must lie in
    /// the memory and overlap no live block, no live block other than the one freed may change, and a throw must
    /// leave the snapshot as it was.
    /// </summary>
    /// <returns>The block the operation handed out, if any.</returns>
    private static (long, long)? RunAllocatorCase(CorruptionTally tally, string where, bool plausible, GuardedMemory memory,
        IReadOnlyList<(long Offset, long Size)> live, long freed, Func<string> snapshot, Func<(long, long)?> run, Func<Exception, bool> documented)
    {
        Dictionary<long, byte[]> liveBytes = live.ToDictionary(l => l.Offset, l => memory.Inner.GetSpan(l.Offset, (int)l.Size).ToArray());
        string before = snapshot();
        memory.StrayAccesses.Clear();
        (long, long)? result = null;
        Exception? thrown = Catch(() => result = run());
        IReadOnlyList<string> stray = [.. memory.StrayAccesses];

        var outside = new List<string>();
        var intoLive = new List<string>();
        if (thrown is null && result is (long offset, long length))
        {
            if (offset < 0 || length > memory.SizeBytes - offset)
            {
                outside.Add($"[{offset}, +{length}) is outside the memory [0, {memory.SizeBytes})");
            }

            intoLive.AddRange(live.Where(l => offset < l.Offset + l.Size && l.Offset < offset + length).Select(l => $"[{offset}, +{length}) overlaps live block {l.Offset}"));
        }

        if (thrown is null)
        {
            intoLive.AddRange(liveBytes.Where(entry => entry.Key != freed && !memory.Inner.GetSpan(entry.Key, entry.Value.Length).SequenceEqual(entry.Value))
                .Select(entry => $"live block {entry.Key} was written"));
        }

        tally.Judge(where, plausible, stray, thrown, documented,
            unchanged: () => snapshot() == before && liveBytes.All(entry => memory.Inner.GetSpan(entry.Key, entry.Value.Length).SequenceEqual(entry.Value)),
            outside, intoLive);
        return thrown is null ? result : null;
    }

    private static (long, long)? NoBlock(Action action)
    {
        action();
        return null;
    }

    /// <summary>Whether the corrupted structure still has a valid shape: its checker passes or reports only an accounting id.</summary>
    private static bool IsPlausible(Action checkInvariants, params string[] accountingIds)
    {
        try
        {
            checkInvariants();
            return true;
        }
        catch (InvariantViolationException violation)
        {
            return accountingIds.Contains(violation.InvariantId);
        }
    }

    private static Exception? Catch(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception thrown)
        {
            return thrown;
        }
    }
}

/// <summary>Short names for the ids the matrices classify by.</summary>
file static class FreeListIds
{
    public const string Conserved = Veralloc.Invariants.InvariantIds.FreeListInvariantIds.Conserved;
    public const string Live = Veralloc.Invariants.InvariantIds.FreeListInvariantIds.Live;
}

file static class LandIds
{
    public const string Total = Veralloc.Invariants.InvariantIds.LandInvariantIds.Total;
    public const string Count = Veralloc.Invariants.InvariantIds.LandInvariantIds.Count;
    public const string Hint = Veralloc.Invariants.InvariantIds.LandInvariantIds.Hint;
}

file static class TextbookIds
{
    public const string LinkedListConserve = Veralloc.Invariants.InvariantIds.TextbookInvariantIds.LinkedListConserve;
    public const string LinkedListDisjoint = Veralloc.Invariants.InvariantIds.TextbookInvariantIds.LinkedListDisjoint;
}
