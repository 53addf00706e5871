using System.Globalization;
using System.Security.Cryptography;
using Veralloc.Allocators.Memory;

namespace Veralloc.Tests.Unit.Reliability;

/// <summary>Shared pieces of the reliability matrices: memory hashes, a memory that reports stray accesses, and a deadline.</summary>
internal static class ReliabilityHarness
{
    /// <summary>A hash of every byte of the memory: two snapshots with the same hash hold the same bytes.</summary>
    public static string Hash(ILinearMemory memory) =>
        $"{memory.PageCount}p:{Convert.ToHexString(SHA256.HashData(memory.GetSpan(0, checked((int)memory.SizeBytes))))[..16]}";

    /// <summary>Formats a number the way the allocators' messages do.</summary>
    public static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Runs <paramref name="body"/> on a worker with a deadline: a walk that loops on a corrupted list fails the
    /// test after <paramref name="deadline"/> instead of hanging the run.
    /// </summary>
    public static void RunWithin(TimeSpan deadline, Action body)
    {
        Task run = Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(run.Wait(deadline), $"the matrix did not finish within {deadline.TotalSeconds} s: some operation loops on a corrupted structure");
        run.GetAwaiter().GetResult();
    }
}

/// <summary>
/// A decorator that records every access outside the memory (or a misaligned word) before the backing would
/// reject it. An allocator that validates what it reads never makes one, so a matrix asserts the record stays
/// empty: "never an access outside memory" means never even an attempt the backing has to refuse.
/// </summary>
internal sealed class GuardedMemory(ILinearMemory inner) : ILinearMemory
{
    public List<string> StrayAccesses { get; } = [];

    public ILinearMemory Inner => inner;

    public int PageCount => inner.PageCount;

    public long SizeBytes => inner.SizeBytes;

    public bool TryGrow(int pages, out int previousPageCount) => inner.TryGrow(pages, out previousPageCount);

    public Span<byte> GetSpan(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > SizeBytes || length > SizeBytes - offset)
        {
            StrayAccesses.Add($"GetSpan({offset}, {length}) outside [0, {SizeBytes})");
        }

        return inner.GetSpan(offset, length);
    }

    public long ReadWord(long offset)
    {
        Check("ReadWord", offset);
        return inner.ReadWord(offset);
    }

    public void WriteWord(long offset, long value)
    {
        Check("WriteWord", offset);
        inner.WriteWord(offset, value);
    }

    private void Check(string what, long offset)
    {
        if (offset < 0 || (offset & (LinearMemory.WordBytes - 1)) != 0 || offset > SizeBytes - LinearMemory.WordBytes)
        {
            StrayAccesses.Add($"{what}({offset}) outside [0, {SizeBytes}) or misaligned");
        }
    }
}
