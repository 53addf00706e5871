namespace Veralloc.Bench.Traces;

/// <summary>
/// The bounds an allocation trace must keep, checked line by line before any table is sized from a value in the file,
/// so a short file cannot make the harness allocate gigabytes (docs/design-notes/0070-cli-exit-codes-and-hostile-input.md).
/// </summary>
public static class TraceLimits
{
    /// <summary>
    /// The largest block id (2^24 - 1). Replay keeps an id → offset table as long as the largest id, so the id bounds
    /// that table (128 MiB at most); the generated traces use ids up to about 1.1 million.
    /// </summary>
    public const int MaxBlockId = (1 << 24) - 1;

    /// <summary>
    /// The largest block size: 1 GiB, the whole heap reservation the harness gives the linear-memory allocators
    /// (<see cref="Replay.AllocatorRegistry.ReservationBytes"/>); a larger block could only fail.
    /// </summary>
    public const int MaxSize = 1 << 30;

    /// <summary>
    /// The largest alignment: 64 KiB, one linear-memory page, the most every registered allocator accepts (the free
    /// list's limit), so a valid trace is one every allocator can run rather than one that fails all but some.
    /// </summary>
    public const int MaxAlignment = 1 << 16;
}
