using Veralloc.Allocators.Concurrency;
using Veralloc.Systematic;

namespace Veralloc.Scenarios;

/// <summary>
/// The allocators' lock seam backed by the engine's <see cref="ControlledLock"/>: every Enter and Exit an allocator
/// makes becomes a scheduling point, so the engine explores the interleavings of its critical sections.
/// </summary>
/// <remarks>
/// Invariant checks need no special mode here: the engine runs them while every other logical thread is parked
/// and guards them with the lock (<see cref="SystematicContext.AddInvariant(string, Action, ControlledLock?)"/>),
/// and a <see cref="ControlledLock"/> taken in a check passes through without scheduling.
/// </remarks>
public sealed class ControlledAllocatorLock(ControlledLock inner) : IAllocatorLock
{
    /// <summary>The engine lock behind the seam.</summary>
    public ControlledLock Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <inheritdoc />
    public void Enter() => Inner.Enter();

    /// <inheritdoc />
    public void Exit() => Inner.Exit();
}
