#pragma warning disable RS0030 // This file is the production seam: the one sanctioned use of a real lock in allocator code.
namespace Veralloc.Allocators.Concurrency;

/// <summary>
/// The production <see cref="IAllocatorLock"/>: a thin wrapper over <see cref="System.Threading.Lock"/>.
/// </summary>
/// <remarks>
/// This file and <see cref="MonitorLock"/>'s are the only allocator code allowed to name a real lock; the
/// exemption at the top of each is the whole of the seam (docs/design-notes/0001-banned-apis.md). Microsoft Coyote
/// does not control <see cref="System.Threading.Lock"/>; to test an allocator under Coyote, give it a
/// <see cref="MonitorLock"/> instead.
/// </remarks>
public sealed class ThreadingLock : IAllocatorLock
{
    private readonly System.Threading.Lock _lock = new();

    /// <inheritdoc />
    public void Enter() => _lock.Enter();

    /// <inheritdoc />
    public void Exit() => _lock.Exit();
}
