using System.Globalization;

using Veralloc.Systematic.Dpor;

namespace Veralloc.Systematic;

/// <summary>
/// A variable shared between logical threads whose every read and write is a scheduling point and is checked for data
/// races: two accesses by different threads, at least one a write, that no lock, join, spawn, signal or posted
/// continuation orders (happens-before, tracked with vector clocks) are reported as <see cref="BugKind.DataRace"/>, with
/// both accesses' steps, in the first schedule where both happen — whichever order the schedule put them in.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
/// <remarks>
/// Create it with <see cref="SystematicContext.CreateShared{T}"/>. The setup's accesses happen before every thread, and
/// checks (invariants, quiescence) read it without scheduling or race checking. <c>shared.Value++</c> is a read and a
/// write, two scheduling points: exactly the window of a lost update. See docs/design-notes/0083-data-races.md.
/// </remarks>
public sealed class Shared<T> : IControlledObject
{
    private readonly Execution _execution;
    private readonly long _accessKey;
    private T _value;
    private Access _lastWrite;
    private Access[] _reads = [];

    internal Shared(Execution execution, string name, T initial)
    {
        _execution = execution;
        _accessKey = execution.NewAccessKey();
        Name = name;
        _value = initial;
    }

    /// <summary>The name used in reports.</summary>
    public string Name { get; }

    /// <summary>Reads or writes the value; each access is a scheduling point (see <see cref="Read"/>, <see cref="Write"/>).</summary>
    public T Value
    {
        get => Read();
        set => Write(value);
    }

    /// <summary>A scheduling point, then reads the value, checking that the last write happens before this read.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="UncontrolledConcurrencyException">The caller is a thread the engine does not control.</exception>
    public T Read()
    {
        var current = _execution.CallerOf("shared variable", Name);
        if (current is null)
        {
            return _value;
        }

        _execution.SchedulingPoint(current, PendingKind.Read, this);
        _execution.Touch(current, _accessKey, AccessKind.Read);
        var step = _execution.StepLog.Count;
        _execution.Log(current, StepKind.Read, Name);
        if (!_lastWrite.HappensBefore(current))
        {
            ReportRace(current, step, "reads", _lastWrite, "wrote");
        }

        if (current.Id >= _reads.Length)
        {
            Array.Resize(ref _reads, Math.Max(current.Id + 1, _reads.Length * 2));
        }

        _reads[current.Id] = new Access(current.Id, current.Clock[current.Id], step);
        return _value;
    }

    /// <summary>A scheduling point, then writes the value, checking that every earlier access happens before this write.</summary>
    /// <param name="value">The new value.</param>
    /// <exception cref="UncontrolledConcurrencyException">The caller is a thread the engine does not control.</exception>
    public void Write(T value)
    {
        var current = _execution.CallerOf("shared variable", Name);
        if (current is null)
        {
            _value = value;
            return;
        }

        _execution.SchedulingPoint(current, PendingKind.Write, this);
        _execution.Touch(current, _accessKey, AccessKind.Write);
        var step = _execution.StepLog.Count;
        _execution.Log(current, StepKind.Write, Name);
        if (!_lastWrite.HappensBefore(current))
        {
            ReportRace(current, step, "writes", _lastWrite, "wrote");
        }

        foreach (var read in _reads)
        {
            if (!read.HappensBefore(current))
            {
                ReportRace(current, step, "writes", read, "read");
            }
        }

        _value = value;
        _lastWrite = new Access(current.Id, current.Clock[current.Id], step);
        Array.Clear(_reads);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private void ReportRace(LogicalThread current, int step, string verb, Access earlier, string earlierVerb)
    {
        var threads = _execution.Threads;
        var other = threads[earlier.Thread];
        var message = string.Create(
            CultureInfo.InvariantCulture,
            $"data race on '{Name}': t{current.Id} '{current.Name}' {verb} it at step {step + 1} and t{other.Id} '{other.Name}' {earlierVerb} it at step {earlier.Step + 1}, and no lock, join, spawn, signal or continuation orders the two accesses (neither happens before the other)");
        _execution.ReportBug(BugKind.DataRace, current, message, null);
        throw new ExecutionCanceledException();
    }

    /// <summary>
    /// One access: the thread, its own clock entry at the time (at least 1, since a thread's entry starts at 1), and
    /// the step index. The default value, with clock 0, stands for no access.
    /// </summary>
    private readonly record struct Access(int Thread, int Clock, int Step)
    {
        public bool IsNone => Clock == 0;

        /// <summary>True when this access happens before the present of <paramref name="thread"/> (or is its own, or none).</summary>
        public bool HappensBefore(LogicalThread thread) => IsNone || Thread == thread.Id || Clock <= thread.Clock[Thread];
    }
}
