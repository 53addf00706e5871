using Veralloc.Allocators.Memory;
using Xunit.Abstractions;

namespace Veralloc.Tests.Property.FreeList;

/// <summary>
/// Small-scope exhaustive check: EVERY command sequence up to length 4 over a fixed alphabet (sizes that
/// hit the NODE rounding, exact page fits, multi-page growth, large alignments, frees of each live
/// allocation) on a heap limited to 3 pages, under both guard policies, through the same step-by-step
/// comparison as the random properties. Where the random suite samples, this covers every shape of
/// the short sequences (exact fits at offset 0, growth that merges or does not, out of memory).
/// </summary>
public sealed class FreeListExhaustiveTests
{
    private const long Page = LinearMemory.PageBytes;
    private const int Depth = 4;

    private static readonly Command[] s_alphabet =
    [
        new Command.Allocate(1, 1),
        new Command.Allocate(33, 1),
        new Command.Allocate(Page - 16, 1),
        new Command.Allocate(Page, 1),
        new Command.Allocate(Page + 1, 1),
        new Command.Allocate(1, 64),
        new Command.Allocate(33, 64),
        new Command.Allocate(1, 32768),
        new Command.Allocate(33, 32768),
        new Command.Free(0),
        new Command.Free(1),
        new Command.Free(2),
    ];

    private readonly ITestOutputHelper _output;

    public FreeListExhaustiveTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EverySequenceUpToFourCommandsMatchesTheModel(bool exactFitAtHeapBase)
    {
        var totals = new FreeListModelProperties.Totals();
        long sequences = 0;
        var prefix = new Command[Depth];
        Explore(0);
        _output.WriteLine($"{sequences} sequences; {totals}");
        Assert.Equal(SequenceCount(), sequences);

        void Explore(int length)
        {
            // Checked mode on odd lengths, so both modes see every depth-parity mix without doubling the cost.
            var scenario = new Scenario(3, Native: false, CheckedMode: length % 2 == 1, exactFitAtHeapBase, FailingGrowthAttempt: -1, prefix[..length]);
            try
            {
                FreeListModelProperties.Run(scenario, totals);
            }
            catch (Exception failure)
            {
                throw new Xunit.Sdk.XunitException($"{scenario} failed: {failure.Message}");
            }

            sequences++;
            if (length == Depth)
            {
                return;
            }

            foreach (Command command in s_alphabet)
            {
                prefix[length] = command;
                Explore(length + 1);
            }
        }
    }

    private static long SequenceCount()
    {
        long total = 0;
        long level = 1;
        for (int length = 0; length <= Depth; length++)
        {
            total += level;
            level *= s_alphabet.Length;
        }

        return total;
    }
}
