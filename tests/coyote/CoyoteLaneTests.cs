using Veralloc.CoyoteLane;
using Veralloc.CoyoteLane.Slots;

namespace Veralloc.Tests.Coyote;

/// <summary>How the lane reports: a found bug fails the test with the interleaving and the trace path, a trace replays
/// only on the code that produced it, and concurrency Coyote does not control fails instead of passing.</summary>
public sealed class CoyoteLaneTests
{
    [Fact]
    public void AFoundBugFailsTheTestWithTheInterleavingAndTheTracePath()
    {
        CoyoteScenario mutant = CoyoteSlotScenarios.Mutants.Single(m => m.Name == "mutant/check-then-act");
        CoyoteResult result = CoyoteRunner.Run(new CoyoteOptions { Seed = 1, Iterations = 1000 }, mutant);

        CoyoteBugFoundException failure = Assert.Throws<CoyoteBugFoundException>(result.ThrowIfBugFound);

        string path = Assert.IsType<string>(failure.Bug.TracePath);
        Assert.True(File.Exists(path), path);
        Assert.True(File.Exists(Path.ChangeExtension(path, ".txt")), "the readable report is saved beside the trace");
        Assert.Contains("Coyote found a bug in mutant/check-then-act: ", failure.Message, StringComparison.Ordinal);
        Assert.Contains(failure.Bug.Report, failure.Message, StringComparison.Ordinal);
        Assert.Contains("Interleaving (worker: step, in the order they ran):", failure.Message, StringComparison.Ordinal);
        Assert.Contains("  worker0: lock", failure.Message, StringComparison.Ordinal);
        Assert.Contains("  worker1: lock", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Trace: " + path, failure.Message, StringComparison.Ordinal);
        Assert.Contains("\"Strategy\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void AMutantsTraceDoesNotReproduceABugOnTheFaithfulCopy()
    {
        CoyoteScenario mutant = CoyoteSlotScenarios.Mutants.Single(m => m.Name == "mutant/lost-resident-bytes");
        CoyoteScenario faithful = CoyoteSlotScenarios.FaithfulCopy.Single(m => m.Name == "mutant/none/alloc-free-2x3");
        CoyoteBug bug = CoyoteRunner.Run(new CoyoteOptions { Seed = 1, Iterations = 1000, TraceDirectory = null }, mutant).Bug
            ?? throw new Xunit.Sdk.XunitException("lost-resident-bytes was not found");

        Assert.NotNull(CoyoteRunner.Replay(bug.Trace, mutant).Bug);
        Assert.Null(CoyoteRunner.Replay(bug.Trace, faithful).Bug);
    }

    /// <summary>
    /// On .NET 10, C# binds <c>Task.WhenAll(a, b)</c> to the <c>params ReadOnlySpan&lt;Task&gt;</c> overload, which
    /// Coyote 1.7.11 does not intercept. The lane's settings make that a reported bug, not an uncontrolled pass.
    /// </summary>
    [Fact]
    public void AnUninterceptedTaskApiFailsTheIterationInsteadOfPassing()
    {
        var scenario = new CoyoteScenario("probe/when-all-span", "two empty workers joined by the span overload of Task.WhenAll", async iteration =>
        {
            Task first = iteration.Spawn("a", () => { });
            Task second = iteration.Spawn("b", () => { });
            await Task.WhenAll(first, second);
        });

        CoyoteResult result = CoyoteRunner.Run(new CoyoteOptions { Iterations = 10, TraceDirectory = null }, scenario);

        CoyoteBug bug = result.Bug ?? throw new Xunit.Sdk.XunitException("uncontrolled Task.WhenAll passed silently");
        Assert.Contains("Task.WhenAll", bug.Report, StringComparison.Ordinal);
        Assert.Contains("not intercepted", bug.Report, StringComparison.Ordinal);
    }
}
