namespace Veralloc.Allocators.Concurrency;

/// <summary>
/// The one synchronization seam of allocator code: a mutual-exclusion lock that an allocator owns
/// and takes around every access to its shared state.
/// </summary>
/// <remarks>
/// <para>
/// Allocator code may not use any other synchronization (the build bans <c>System.Threading</c> and the
/// <c>lock</c> statement in it). Production code uses <see cref="ThreadingLock"/>; a systematic test
/// substitutes a controlled lock whose <see cref="Enter"/> and <see cref="Exit"/> are scheduling points,
/// so every interleaving of the lock-protected code can be explored and replayed. The allocators
/// never reference a scheduler, so the same code runs unchanged under our engine (with its controlled lock) or
/// under Microsoft Coyote (with <see cref="MonitorLock"/>, which Coyote's rewriter controls).
/// </para>
/// <para>
/// Implementations must give mutual exclusion and must tolerate <see cref="Exit"/> only from the thread
/// that holds the lock. Re-entrancy is not required: allocator code never nests acquisitions.
/// </para>
/// </remarks>
public interface IAllocatorLock
{
    /// <summary>Blocks until the calling thread holds the lock.</summary>
    void Enter();

    /// <summary>Releases the lock held by the calling thread.</summary>
    void Exit();
}
