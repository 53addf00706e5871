using Veralloc.Scenarios;
using Veralloc.Systematic;
using Veralloc.Tests.Systematic.Dpor;

namespace Veralloc.Tests.Systematic.Sharding;

/// <summary>N shards together explore exactly the schedules of the unsharded run, each once.</summary>
public sealed class ShardTests
{
    [Theory]
    [InlineData("slots/alloc-free-2x3", StrategyKind.Dfs, 2, 3)]
    [InlineData("slots/alloc-free-keyed-2x3", StrategyKind.Dfs, 1, 4)]
    [InlineData("slots/alloc-free-2x3", StrategyKind.Random, null, 3)]
    public void TheUnionOfTheShardsIsTheUnshardedRun(string name, StrategyKind strategy, int? bound, int count)
    {
        var scenario = ScenarioCatalog.Find(name)!;
        var whole = Explore(scenario.Build, strategy, bound, null);
        var parts = Enumerable.Range(1, count).Select(number => Explore(scenario.Build, strategy, bound, new Shard(number, count))).ToList();

        var union = parts.SelectMany(part => part).ToList();
        Assert.Equal(whole.Count, union.Count);
        Assert.Equal(whole.OrderBy(key => key, StringComparer.Ordinal), union.OrderBy(key => key, StringComparer.Ordinal));
        Assert.All(parts, part => Assert.NotEmpty(part));
    }

    [Fact]
    public void UnboundedDfsShardsCoverAProgramExactly()
    {
        var program = DporPrograms.All["sections-2x3"];
        var whole = Explore(program, StrategyKind.Dfs, null, null);
        var union = Enumerable.Range(1, 5).SelectMany(number => Explore(program, StrategyKind.Dfs, null, new Shard(number, 5))).ToList();
        Assert.Equal(whole.OrderBy(key => key, StringComparer.Ordinal), union.OrderBy(key => key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("0/2")]
    [InlineData("3/2")]
    [InlineData("1/0")]
    [InlineData("1-2")]
    [InlineData("a/b")]
    public void MalformedShardsAreRejected(string text) =>
        Assert.Contains(text, Assert.Throws<FormatException>(() => Shard.Parse(text)).Message, StringComparison.Ordinal);

    [Fact]
    public void DporRefusesAShardWithItsReason()
    {
        var error = Assert.Throws<ArgumentException>(() => new TestOptions { Strategy = StrategyKind.Dpor, Shard = new Shard(1, 2) }.Validate());
        Assert.Contains("subtree", error.Message, StringComparison.Ordinal);
    }

    private static List<string> Explore(Action<SystematicContext> scenario, StrategyKind strategy, int? bound, Shard? shard)
    {
        var schedules = new List<string>();
        var result = SystematicTest.Run(
            new TestOptions
            {
                Strategy = strategy,
                PreemptionBound = bound,
                Iterations = strategy == StrategyKind.Random ? 300 : 100_000,
                Seed = 11,
                Shard = shard,
                TraceDirectory = null,
                ScheduleObserver = decisions => schedules.Add(string.Join(',', decisions)),
            },
            scenario);
        result.ThrowIfBugFound();
        Assert.True(strategy == StrategyKind.Random || result.Statistics.SpaceExhausted);
        return schedules;
    }
}
