using Veralloc.Allocators.Lands;
using Veralloc.Invariants;
using Veralloc.Tests.Property.Models;

namespace Veralloc.Tests.Property.Lands;

/// <summary>
/// Small-scope exhaustive companion to <see cref="LandPropertyTests"/>: every set of free grains in a
/// six-grain window (all 64), reached by two different histories (inserting its runs bottom-up; inserting the
/// whole window top-down and deleting the gaps), followed by every single command over the window — every
/// insert and delete of every sub-range, every find of sizes 1..7 grains with every delete option, flushes
/// (plain and rejected) and bounded iterations. Same comparison as the property suite, step by step.
/// </summary>
public sealed class LandExhaustiveTests
{
    private const int WindowGrains = 6;
    private const long Grain = LandCommandGen.Grain;

    [Fact]
    public void FreeListLandMatchesTheModelOnEveryStateAndCommandOfASmallWindow() =>
        RunAll(LandPropertyTests.CreateFreeList, LandPropertyTests.CreateTree);

    [Fact]
    public void TreeLandMatchesTheModelOnEveryStateAndCommandOfASmallWindow() =>
        RunAll(LandPropertyTests.CreateTree, LandPropertyTests.CreateFreeList);

    private static void RunAll(Func<ILand> createLand, Func<ILand> createOther)
    {
        List<LandCommand> finalSteps = AllSingleCommands();
        int runs = 0;
        for (int mask = 0; mask < 1 << WindowGrains; mask++)
        {
            foreach (List<LandCommand> history in Histories(mask))
            {
                foreach (LandCommand step in finalSteps)
                {
                    LandPropertyTests.Run(createLand, createOther, [.. history, step]);
                    runs++;
                }
            }
        }

        Assert.Equal((1 << WindowGrains) * 2 * finalSteps.Count, runs);
    }

    private static List<LandCommand> AllSingleCommands()
    {
        var commands = new List<LandCommand>();
        foreach (AddressRange range in AllRanges())
        {
            commands.Add(new InsertCommand(range));
            commands.Add(new DeleteCommand(range));
        }

        foreach (FindKind kind in new[] { FindKind.First, FindKind.Last, FindKind.Largest })
        {
            for (int grains = 1; grains <= WindowGrains + 1; grains++)
            {
                foreach (FindDelete delete in new[] { FindDelete.None, FindDelete.Low, FindDelete.High, FindDelete.Entire })
                {
                    commands.Add(new FindCommand(kind, grains * Grain, delete));
                }
            }
        }

        commands.Add(new FlushCommand(null));
        for (int grain = 0; grain <= WindowGrains; grain++)
        {
            commands.Add(new FlushCommand(new AddressRange(grain * Grain, Grain)));
        }

        for (int limit = 1; limit <= 3; limit++)
        {
            commands.Add(new IterateCommand(limit));
        }

        return commands;
    }

    private static IEnumerable<AddressRange> AllRanges()
    {
        for (int start = 0; start < WindowGrains; start++)
        {
            for (int end = start + 1; end <= WindowGrains; end++)
            {
                yield return new AddressRange(start * Grain, (end - start) * Grain);
            }
        }
    }

    /// <summary>Two command histories that both leave exactly the grains of <paramref name="mask"/> free.</summary>
    private static IEnumerable<List<LandCommand>> Histories(int mask)
    {
        List<AddressRange> runs = Runs(mask);
        yield return runs.Select(run => (LandCommand)new InsertCommand(run)).ToList();

        var carved = new List<LandCommand> { new InsertCommand(new AddressRange(0, WindowGrains * Grain)) };
        carved.AddRange(Runs(~mask & ((1 << WindowGrains) - 1)).AsEnumerable().Reverse().Select(gap => (LandCommand)new DeleteCommand(gap)));
        yield return carved;
    }

    private static List<AddressRange> Runs(int mask)
    {
        var runs = new List<AddressRange>();
        int grain = 0;
        while (grain < WindowGrains)
        {
            if ((mask & (1 << grain)) == 0)
            {
                grain++;
                continue;
            }

            int start = grain;
            while (grain < WindowGrains && (mask & (1 << grain)) != 0)
            {
                grain++;
            }

            runs.Add(new AddressRange(start * Grain, (grain - start) * Grain));
        }

        return runs;
    }
}
