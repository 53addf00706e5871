using System.Globalization;

namespace Veralloc.Systematic.Linearizability;

/// <summary>One operation of a history: who called it, with what, and where its invocation and response fall.</summary>
/// <typeparam name="TOperation">An operation with its arguments.</typeparam>
/// <typeparam name="TResult">What an operation returns.</typeparam>
/// <param name="Thread">The caller: a logical thread, worker or phase name. One caller's operations never overlap.</param>
/// <param name="Operation">The operation.</param>
/// <param name="InvokedAt">The invocation's position in the history: positions order every invocation and response.</param>
/// <param name="RespondedAt">The response's position, after <paramref name="InvokedAt"/>; null while the call is pending.</param>
/// <param name="Result">What the call returned; meaningless while it is pending.</param>
public sealed record RecordedOperation<TOperation, TResult>(string Thread, TOperation Operation, int InvokedAt, int? RespondedAt, TResult Result)
{
    /// <summary>True when the call has not responded (its thread ended with an exception, or the history was read mid-call).</summary>
    public bool IsPending => RespondedAt is null;

    /// <summary>The call as a label: <c>operation -> result</c>, or <c>operation -> (no response)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Operation} -> {(IsPending ? "(no response)" : Result?.ToString() ?? "null")}");
}

/// <summary>
/// Records a concurrent history: each call's invocation before it starts and its response after it returns, in one
/// order shared by all callers. Any scheduler that runs the callers can feed it (the engine's logical threads, Coyote's
/// tasks, plain threads): a response recorded before an invocation means that call really ended before the other began.
/// </summary>
/// <typeparam name="TOperation">An operation with its arguments.</typeparam>
/// <typeparam name="TResult">What an operation returns.</typeparam>
/// <remarks>Thread-safe. Recording is not a scheduling point, so it adds no interleavings to explore.</remarks>
public sealed class History<TOperation, TResult>
{
    private readonly Lock _gate = new();
    private readonly List<RecordedOperation<TOperation, TResult>> _operations = [];
    private readonly Dictionary<string, int> _pendingByThread = new(StringComparer.Ordinal);
    private int _nextPosition;

    /// <summary>The calls so far, in invocation order: a snapshot.</summary>
    public IReadOnlyList<RecordedOperation<TOperation, TResult>> Operations
    {
        get
        {
            lock (_gate)
            {
                return [.. _operations];
            }
        }
    }

    /// <summary>Records that <paramref name="thread"/> invokes <paramref name="operation"/>.</summary>
    /// <param name="thread">The caller's name.</param>
    /// <param name="operation">The operation.</param>
    /// <returns>The call's handle, for <see cref="Respond"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="thread"/> is null or empty.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="thread"/> has a call that has not responded: one caller's calls must not overlap.</exception>
    public int Invoke(string thread, TOperation operation)
    {
        ArgumentException.ThrowIfNullOrEmpty(thread);
        lock (_gate)
        {
            if (_pendingByThread.TryGetValue(thread, out var pending))
            {
                throw new InvalidOperationException($"'{thread}' invokes {operation} while its call {_operations[pending].Operation} has not responded: one caller's calls must not overlap; give each concurrent caller its own name.");
            }

            var call = _operations.Count;
            _operations.Add(new RecordedOperation<TOperation, TResult>(thread, operation, _nextPosition++, null, default!));
            _pendingByThread.Add(thread, call);
            return call;
        }
    }

    /// <summary>Records the response of the call <paramref name="call"/>.</summary>
    /// <param name="call">The handle <see cref="Invoke"/> returned.</param>
    /// <param name="result">What the call returned.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="call"/> is no handle of this history.</exception>
    /// <exception cref="InvalidOperationException">The call has already responded.</exception>
    public void Respond(int call, TResult result)
    {
        lock (_gate)
        {
            if (call < 0 || call >= _operations.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(call), call, $"No call {call} in this history: handles run from 0 to {_operations.Count - 1}.");
            }

            var invoked = _operations[call];
            if (!invoked.IsPending)
            {
                throw new InvalidOperationException($"Call {call} ({invoked.Operation} by '{invoked.Thread}') has already responded: a call responds once.");
            }

            _operations[call] = invoked with { RespondedAt = _nextPosition++, Result = result };
            _pendingByThread.Remove(invoked.Thread);
        }
    }

    /// <summary>
    /// Records the invocation, runs <paramref name="run"/>, records its result as the response and returns it. When
    /// <paramref name="run"/> throws, the call stays pending (it may or may not have taken effect) and the exception
    /// propagates; to check what a failing call reports, catch it inside <paramref name="run"/> and return it as a result.
    /// </summary>
    /// <param name="thread">The caller's name.</param>
    /// <param name="operation">The operation, as the model reads it.</param>
    /// <param name="run">Performs the operation on the object under test.</param>
    /// <returns>What <paramref name="run"/> returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="run"/> is null.</exception>
    public TResult Call(string thread, TOperation operation, Func<TResult> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var call = Invoke(thread, operation);
        var result = run();
        Respond(call, result);
        return result;
    }
}
