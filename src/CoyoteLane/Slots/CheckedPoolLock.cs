using Microsoft.Coyote.Runtime;
using Veralloc.Allocators.Concurrency;
using Veralloc.Invariants;
using Veralloc.Scenarios.Slots;
using Veralloc.CoyoteLane;

namespace Veralloc.CoyoteLane.Slots;

/// <summary>
/// The pool's lock seam under Coyote: a <see cref="MonitorLock"/> (which the rewriter hands to Coyote) that also runs
/// the pool's SLOT-* invariant check right after every acquisition and right before every release, where a correct
/// pool's state is consistent, and logs both in the iteration's step log.
/// </summary>
/// <remarks>
/// <para>
/// Coyote makes the acquisition of a free <see cref="System.Threading.Monitor"/> a scheduling point, but not its
/// release: after <c>Exit</c> the releasing worker runs on until its next scheduling point. Our engine, and a real
/// machine, may switch right there, and the gallery's <c>lock-released-early</c> bug lives only there. With
/// <paramref name="releaseIsSchedulingPoint"/> (the lane's default) a <see cref="SchedulingPoint.Interleave"/> after
/// every release gives Coyote that choice too; docs/design-notes/0028-coyote-lane.md measures both settings.
/// </para>
/// <para>
/// The check takes the pool's own lock again through this seam; while it runs, <see cref="Enter"/> and
/// <see cref="Exit"/> pass through (the worker already holds the monitor), so it adds no scheduling point.
/// </para>
/// </remarks>
public sealed class CheckedPoolLock(CoyoteIteration iteration, bool releaseIsSchedulingPoint) : IAllocatorLock
{
    private readonly MonitorLock _inner = new();
    private Action? _check;
    private bool _checking;

    /// <summary>The pool whose invariants to check; set once, right after the pool is built on this lock.</summary>
    public void Attach(ISlotPool pool) => _check = (pool ?? throw new ArgumentNullException(nameof(pool))).CheckInvariants;

    /// <summary>
    /// The check to run instead of a whole pool's, for a lock that guards part of one: a shard of a sharded pool, whose
    /// own check takes this lock alone. Set once, right after the pool is built.
    /// </summary>
    public void Attach(Action check) => _check = check ?? throw new ArgumentNullException(nameof(check));

    /// <inheritdoc />
    public void Enter()
    {
        if (_checking)
        {
            return;
        }

        _inner.Enter();
        iteration.Step("lock");
        Check("just after lock");
    }

    /// <inheritdoc />
    public void Exit()
    {
        if (_checking)
        {
            return;
        }

        Check("just before unlock");
        iteration.Step("unlock");
        _inner.Exit();
        if (releaseIsSchedulingPoint)
        {
            SchedulingPoint.Interleave();
        }
    }

    private void Check(string where)
    {
        if (_check is null)
        {
            return;
        }

        _checking = true;
        try
        {
            _check();
        }
        catch (InvariantViolationException violation)
        {
            iteration.Fail($"{where}: {violation.Message}");
        }
        finally
        {
            _checking = false;
        }
    }
}
