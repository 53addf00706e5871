using Veralloc.Allocators.Concurrency;

namespace Veralloc.Systematic.Allocators;

/// <summary>
/// The allocators' lock seam backed by the engine's <see cref="ControlledLock"/>: every Enter and Exit an allocator
/// makes becomes a scheduling point, so the engine explores the interleavings of its critical sections.
/// </summary>
/// <remarks>
/// Invariant checks need no special mode here: the engine runs them while every other logical thread is parked
/// and guards them with the lock (<see cref="SystematicContext.AddInvariant(string, Action, ControlledLock?)"/>),
/// and a <see cref="ControlledLock"/> taken in a check passes through without scheduling.
/// </remarks>
/// <example>
/// <code>
/// var pool = new SlotAllocator(capacity: 4, maxUnusedWarm: 1, new ControlledAllocatorLock(ctx.CreateLock("pool")));
/// </code>
/// </example>
public sealed class ControlledAllocatorLock : IAllocatorLock
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The engine lock behind the seam.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    public ControlledAllocatorLock(ControlledLock inner) => Inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The engine lock behind the seam.</summary>
    public ControlledLock Inner { get; }

    /// <inheritdoc />
    public void Enter() => Inner.Enter();

    /// <inheritdoc />
    public void Exit() => Inner.Exit();
}
