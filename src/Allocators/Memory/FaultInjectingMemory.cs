namespace Veralloc.Allocators.Memory;

/// <summary>
/// A decorator over another <see cref="ILinearMemory"/> whose growth fails on demand, to test how an
/// allocator handles a grower failure at a chosen moment. Every <see cref="TryGrow"/> call is a growth
/// attempt, numbered from 0; an attempt that is set to fail returns false without reaching the inner
/// memory, so nothing changes. Reads and writes pass straight through.
/// </summary>
/// <remarks>Not thread-safe, like the memory it wraps.</remarks>
public sealed class FaultInjectingMemory : ILinearMemory
{
    private readonly ILinearMemory _inner;
    private int _failNextGrowths;
    private long _failGrowthsFromAttempt = long.MaxValue;
    private Func<long, int, bool>? _failWhen;

    /// <summary>Wraps <paramref name="inner"/>; no failure is injected until one is requested.</summary>
    /// <param name="inner">The memory that does the real work.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    public FaultInjectingMemory(ILinearMemory inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <summary>The wrapped memory.</summary>
    public ILinearMemory Inner => _inner;

    /// <summary>How many times <see cref="TryGrow"/> has been called with a valid page count (injected failures included).</summary>
    public long GrowthAttempts { get; private set; }

    /// <summary>How many growth attempts failed because a failure was injected.</summary>
    public long InjectedFailures { get; private set; }

    /// <inheritdoc />
    public int PageCount => _inner.PageCount;

    /// <inheritdoc />
    public long SizeBytes => _inner.SizeBytes;

    /// <summary>Makes the next <paramref name="count"/> growth attempts fail (replacing any earlier such request).</summary>
    /// <param name="count">The number of attempts to fail; 0 cancels.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public void FailNextGrowths(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _failNextGrowths = count;
    }

    /// <summary>Makes every growth attempt whose index is at least <paramref name="attemptIndex"/> fail.</summary>
    /// <param name="attemptIndex">The first attempt (0-based, counting all attempts so far) to fail.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="attemptIndex"/> is negative.</exception>
    public void FailGrowthsFrom(long attemptIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attemptIndex);
        _failGrowthsFromAttempt = attemptIndex;
    }

    /// <summary>Fails every growth attempt for which <paramref name="shouldFail"/> returns true; null removes the predicate.</summary>
    /// <param name="shouldFail">Receives the attempt index and the requested page count.</param>
    public void FailWhen(Func<long, int, bool>? shouldFail) => _failWhen = shouldFail;

    /// <summary>Removes every injected failure; the attempt counters keep counting.</summary>
    public void Heal()
    {
        _failNextGrowths = 0;
        _failGrowthsFromAttempt = long.MaxValue;
        _failWhen = null;
    }

    /// <inheritdoc />
    public bool TryGrow(int pages, out int previousPageCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pages);
        long attempt = GrowthAttempts++;
        bool fail = attempt >= _failGrowthsFromAttempt || (_failWhen?.Invoke(attempt, pages) ?? false);
        if (_failNextGrowths > 0)
        {
            _failNextGrowths--;
            fail = true;
        }

        if (fail)
        {
            InjectedFailures++;
            previousPageCount = 0;
            return false;
        }

        return _inner.TryGrow(pages, out previousPageCount);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(long offset, int length) => _inner.GetSpan(offset, length);

    /// <inheritdoc />
    public long ReadWord(long offset) => _inner.ReadWord(offset);

    /// <inheritdoc />
    public void WriteWord(long offset, long value) => _inner.WriteWord(offset, value);
}
