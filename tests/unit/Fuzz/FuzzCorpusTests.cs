using Veralloc.Fuzz;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.Fuzz;

/// <summary>
/// Replays the committed fuzz corpus (fuzz/corpus/TARGET/*) through the same target functions afl-fuzz drives, without
/// afl: every seed and every input a fuzzing run added must still pass the target's model checks (note 0034).
/// </summary>
public sealed class FuzzCorpusTests
{
    private static string CorpusRoot => Path.Combine(RepositoryPaths.Root, "fuzz", "corpus");

    public static TheoryData<string, string> CorpusFiles()
    {
        var files = new TheoryData<string, string>();
        foreach (FuzzTarget target in FuzzTargets.All)
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(CorpusRoot, target.Name)).Order(StringComparer.Ordinal))
            {
                files.Add(target.Name, Path.GetFileName(file));
            }
        }

        return files;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void EveryCorpusInputPassesItsTarget(string target, string file)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(CorpusRoot, target, file));

        FuzzTargets.Get(target).Run(input);
    }

    [Fact]
    public void EveryTargetHasACorpusAndEveryCorpusFolderATarget()
    {
        string[] folders = Directory.GetDirectories(CorpusRoot).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(FuzzTargets.All.Select(target => target.Name).Order(StringComparer.Ordinal), folders);
        Assert.All(folders, folder => Assert.InRange(Directory.GetFiles(Path.Combine(CorpusRoot, folder)).Length, 10, 200));
    }

    [Fact]
    public void AnUnknownTargetIsRejectedNamingTheKnownOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => FuzzTargets.Get("nope"));

        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
        Assert.Contains("freelist-land", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpectRejectedFailsWhenTheBadCallIsAcceptedOrChangesTheState()
    {
        int state = 0;

        var accepted = Assert.Throws<FuzzCheckException>(() => Expect.Rejected<ArgumentException>("call", () => { }, () => state.ToString()));
        var changed = Assert.Throws<FuzzCheckException>(() => Expect.Rejected<ArgumentException>("call", () => { state++; throw new ArgumentException("bad"); }, () => state.ToString()));
        var wrongType = Assert.Throws<FuzzCheckException>(() => Expect.Rejected<ArgumentException>("call", () => throw new ArgumentOutOfRangeException("x"), () => "s", exactType: true));

        Assert.Contains("was accepted", accepted.Message, StringComparison.Ordinal);
        Assert.Contains("changed the state", changed.Message, StringComparison.Ordinal);
        Assert.Contains("expected exactly ArgumentException", wrongType.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FuzzInputReadsZerosOnceExhausted()
    {
        var input = new FuzzInput([7, 1]);

        Assert.Equal(0x0107, input.UInt16());
        Assert.True(input.IsExhausted);
        Assert.Equal(0, input.Byte());
    }
}
