using FsCheck.Xunit;
using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;
using Veralloc.Tests.Property.Models;

namespace Veralloc.Tests.Property.Lands;

/// <summary>
/// One model-based property suite run against every land: random command sequences (inserts that merge,
/// overlap or are invalid; deletes inside and outside stored ranges; every find with every delete option;
/// flushes into the other kind, accepted and rejected; bounded iteration) are replayed against the land and
/// <see cref="LandModel"/>. After every command the land's invariants hold and its contents, total and count
/// equal the model's; every result and every exception type equals what the model predicts. A failure reports
/// FsCheck's seed and the shrunk command sequence; paste the seed into <c>Replay</c> to rerun exactly that case.
/// </summary>
/// <remarks>Not covered here: corrupted memory (LandCorruptionTests) and argument messages (LandBadInputTests).</remarks>
[Properties(MaxTest = 300, EndSize = 120)]
public sealed class LandPropertyTests
{
    [Property(Arbitrary = [typeof(LandCommandGen.WordGrain)])]
    public void FreeListLandMatchesTheModel(LandCommand[] commands) => Run(CreateFreeList, CreateTree, commands);

    [Property(Arbitrary = [typeof(LandCommandGen.WordGrain)])]
    public void TreeLandMatchesTheModel(LandCommand[] commands) => Run(CreateTree, CreateFreeList, commands);

    [Property(Arbitrary = [typeof(LandCommandGen.CoarseGrain)])]
    public void TreeLandWithACoarserGrainMatchesTheModel(LandCommand[] commands) =>
        Run(CreateCoarseTree, CreateFreeList, commands);

    internal static ILand CreateFreeList() => new FreeListLand(new SlabLinearMemory(maxPages: 1, initialPages: 1));

    internal static ILand CreateTree() => new TreeLand(LandCommandGen.Grain, new AddressRange(0, LandCommandGen.BoundBytes));

    private static ILand CreateCoarseTree() => new TreeLand(LandCommandGen.CoarseGrainBytes, new AddressRange(0, LandCommandGen.BoundBytes));

    /// <summary>Replays <paramref name="commands"/> against a fresh land and the model, comparing after every step.</summary>
    internal static void Run(Func<ILand> createLand, Func<ILand> createOther, IReadOnlyList<LandCommand> commands)
    {
        ILand land = createLand();
        var model = new LandModel(land.GrainBytes, 0, LandCommandGen.BoundBytes);
        for (int step = 0; step < commands.Count; step++)
        {
            LandCommand command = commands[step];
            try
            {
                Apply(land, model, createOther, command);
                AssertSame(land, model);
            }
            catch (Exception failure) when (failure is not StepFailedException)
            {
                throw new StepFailedException($"step {step} {command} failed on {land.GetType().Name}: {failure.Message}", failure);
            }
        }
    }

    private static void Apply(ILand land, LandModel model, Func<ILand> createOther, LandCommand command)
    {
        switch (command)
        {
            case InsertCommand insert:
                ApplyInsert(land, model, insert.Range);
                break;
            case DeleteCommand delete:
                ApplyDelete(land, model, delete.Range);
                break;
            case DeleteInsideCommand inside when model.Ranges.Count > 0:
                AddressRange target = model.Ranges[inside.Pick % model.Ranges.Count];
                long offset = inside.OffsetGrains % (target.Size / land.GrainBytes) * land.GrainBytes;
                ApplyDelete(land, model, new AddressRange(target.Start + offset, inside.SizeGrains * land.GrainBytes));
                break;
            case DeleteInsideCommand:
                break;
            case FindCommand find:
                ApplyFind(land, model, find);
                break;
            case FlushCommand flush:
                ApplyFlush(land, model, createOther(), flush.Extra);
                break;
            case IterateCommand iterate:
                ApplyIterate(land, model, iterate.Limit);
                break;
            default:
                throw new InvalidOperationException($"unknown command {command}");
        }
    }

    private static void ApplyInsert(ILand land, LandModel model, AddressRange range)
    {
        LandModel.Verdict verdict = model.JudgeInsert(range);
        Assert.Equal(verdict == LandModel.Verdict.Accepted, land.CanInsert(range));
        switch (verdict)
        {
            case LandModel.Verdict.Accepted:
                AddressRange merged = land.Insert(range);
                Assert.Equal(model.Insert(range), merged);
                break;
            case LandModel.Verdict.OutOfRange:
                Assert.Throws<ArgumentOutOfRangeException>(() => land.Insert(range));
                break;
            default:
                Assert.Throws<ArgumentException>(() => land.Insert(range));
                break;
        }
    }

    private static void ApplyDelete(ILand land, LandModel model, AddressRange range)
    {
        LandModel.Verdict verdict = model.JudgeDelete(range);
        Assert.Equal(verdict == LandModel.Verdict.Accepted, land.CanDelete(range));
        switch (verdict)
        {
            case LandModel.Verdict.Accepted:
                land.Delete(range);
                model.Delete(range);
                break;
            case LandModel.Verdict.OutOfRange:
                Assert.Throws<ArgumentOutOfRangeException>(() => land.Delete(range));
                break;
            default:
                Assert.Throws<ArgumentException>(() => land.Delete(range));
                break;
        }
    }

    private static void ApplyFind(ILand land, LandModel model, FindCommand find)
    {
        if (!model.IsValidFind(find.Size, find.Delete))
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Find(land, find, out _));
            return;
        }

        bool expectedFound = model.Find(find.Kind, find.Size, find.Delete, out LandFindResult expected);
        bool found = Find(land, find, out LandFindResult actual);
        Assert.Equal(expectedFound, found);
        Assert.Equal(expected, actual);
    }

    private static bool Find(ILand land, FindCommand find, out LandFindResult result) => find.Kind switch
    {
        FindKind.First => land.TryFindFirst(find.Size, find.Delete, out result),
        FindKind.Last => land.TryFindLast(find.Size, find.Delete, out result),
        _ => land.TryFindLargest(find.Size, find.Delete, out result),
    };

    private static void ApplyFlush(ILand land, LandModel model, ILand other, AddressRange? extra)
    {
        bool rejects = false;
        if (extra is AddressRange seeded)
        {
            other.Insert(seeded);
            rejects = model.JudgeInsert(seeded) != LandModel.Verdict.Accepted;
        }

        if (rejects)
        {
            Assert.Throws<ArgumentException>(() => land.FlushTo(other));
            other.CheckInvariants();
            Assert.Equal([extra!.Value], other.ToRangeList());
            return;
        }

        land.FlushTo(other);
        land.CheckInvariants();
        Assert.Equal(0, land.RangeCount);
        Assert.Equal(0, land.TotalSize);
        if (extra is AddressRange added)
        {
            model.Insert(added);
        }

        AssertSame(other, model);
        other.FlushTo(land);
        other.CheckInvariants();
        Assert.Equal(0, other.RangeCount);
        Assert.Equal(0, other.TotalSize);
    }

    private static void ApplyIterate(ILand land, LandModel model, int limit)
    {
        var visitor = new StoppingVisitor(limit);
        bool completed = land.Iterate(ref visitor);
        Assert.Equal(model.Ranges.Count < limit, completed);
        Assert.Equal(model.Ranges.Take(limit), visitor.Visited);
    }

    private static void AssertSame(ILand land, LandModel model)
    {
        land.CheckInvariants();
        Assert.Equal(model.Ranges, land.ToRangeList());
        Assert.Equal(model.TotalSize, land.TotalSize);
        Assert.Equal(model.Ranges.Count, land.RangeCount);
    }

    private struct StoppingVisitor(int limit) : ILandVisitor
    {
        public List<AddressRange> Visited { get; } = [];

        public readonly bool Visit(AddressRange range)
        {
            Visited.Add(range);
            return Visited.Count < limit;
        }
    }

    /// <summary>Wraps a failing step so the report names the step, the command and the land.</summary>
    private sealed class StepFailedException(string message, Exception inner) : Exception(message, inner);
}
