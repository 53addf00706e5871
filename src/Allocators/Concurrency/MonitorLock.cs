#pragma warning disable RS0030 // This file is the second sanctioned seam: a real lock that Microsoft Coyote's rewriter recognises.
namespace Veralloc.Allocators.Concurrency;

/// <summary>
/// An <see cref="IAllocatorLock"/> over <see cref="System.Threading.Monitor"/>, the lock that Microsoft Coyote's
/// binary rewriter replaces with a controlled one. Pass it to an allocator whose interleavings Coyote should explore.
/// </summary>
/// <remarks>
/// <para>
/// Coyote rewrites calls to <see cref="System.Threading.Monitor"/> in an assembly it rewrites (here, the allocators'
/// own assembly) so that under its testing engine every acquisition of a free lock is a scheduling point and a
/// contended acquisition blocks a controlled operation. It does not rewrite <see cref="System.Threading.Lock"/>, which
/// <see cref="ThreadingLock"/> uses, so with <see cref="ThreadingLock"/> the allocator's critical sections are
/// invisible to Coyote (docs/design-notes/0026-monitor-lock-for-coyote.md).
/// </para>
/// <para>
/// Outside Coyote it is an ordinary, correct lock and may be used in production. It is re-entrant (a property of
/// <see cref="System.Threading.Monitor"/>), which allocator code never relies on. The lock object is private, so no
/// other code can take it.
/// </para>
/// </remarks>
public sealed class MonitorLock : IAllocatorLock
{
    private readonly object _gate = new();

    /// <inheritdoc />
    public void Enter() => System.Threading.Monitor.Enter(_gate);

    /// <inheritdoc />
    public void Exit() => System.Threading.Monitor.Exit(_gate);
}
