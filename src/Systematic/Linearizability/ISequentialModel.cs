namespace Veralloc.Systematic.Linearizability;

/// <summary>
/// A sequential specification of a concurrent object: its state before any operation, and what each operation returns
/// and leaves behind when operations run one at a time. A concurrent history is linearizable against it when some
/// order of its operations that respects their real-time order makes the model return every recorded result.
/// </summary>
/// <typeparam name="TState">The model's state. The checker keeps states it has seen and goes back to them, so a state
/// must never change once <see cref="Apply"/> has returned it.</typeparam>
/// <typeparam name="TOperation">An operation with its arguments.</typeparam>
/// <typeparam name="TResult">What an operation returns (for an operation that returns nothing, a fixed value).</typeparam>
public interface ISequentialModel<TState, TOperation, TResult>
{
    /// <summary>The state before the first operation.</summary>
    TState InitialState { get; }

    /// <summary>
    /// Runs <paramref name="operation"/> on <paramref name="state"/> as the sequential object would. Must be
    /// deterministic and must not change <paramref name="state"/>: return a new state (or the same one, when the
    /// operation only reads).
    /// </summary>
    /// <param name="state">The state before the operation.</param>
    /// <param name="operation">The operation.</param>
    /// <returns>The state after the operation and what it returns.</returns>
    (TState Next, TResult Result) Apply(TState state, TOperation operation);

    /// <summary>
    /// Which states are the same. The checker remembers each (state, set of operations already ordered) it has ruled
    /// out, so a state reached by two orders is searched once; states must compare by value for that to work.
    /// Default: <see cref="EqualityComparer{T}.Default"/>.
    /// </summary>
    IEqualityComparer<TState> StateComparer => EqualityComparer<TState>.Default;

    /// <summary>Whether a recorded result is the one the model returns. Default: <see cref="EqualityComparer{T}.Default"/>.</summary>
    IEqualityComparer<TResult> ResultComparer => EqualityComparer<TResult>.Default;
}

/// <summary>Builds an <see cref="ISequentialModel{TState, TOperation, TResult}"/> from delegates.</summary>
public static class SequentialModel
{
    /// <summary>A model whose state is a value and whose operations are one function.</summary>
    /// <typeparam name="TState">The state; compared with <paramref name="stateComparer"/>.</typeparam>
    /// <typeparam name="TOperation">An operation with its arguments.</typeparam>
    /// <typeparam name="TResult">What an operation returns.</typeparam>
    /// <param name="initialState">The state before the first operation.</param>
    /// <param name="apply">Runs one operation: the next state and the result. Must not change the state it is given.</param>
    /// <param name="stateComparer">Which states are the same; default <see cref="EqualityComparer{T}.Default"/>.</param>
    /// <param name="resultComparer">Whether two results are the same; default <see cref="EqualityComparer{T}.Default"/>.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="apply"/> is null.</exception>
    public static ISequentialModel<TState, TOperation, TResult> Create<TState, TOperation, TResult>(
        TState initialState,
        Func<TState, TOperation, (TState Next, TResult Result)> apply,
        IEqualityComparer<TState>? stateComparer = null,
        IEqualityComparer<TResult>? resultComparer = null)
    {
        ArgumentNullException.ThrowIfNull(apply);
        return new DelegateModel<TState, TOperation, TResult>(
            initialState,
            apply,
            stateComparer ?? EqualityComparer<TState>.Default,
            resultComparer ?? EqualityComparer<TResult>.Default);
    }

    private sealed class DelegateModel<TState, TOperation, TResult>(
        TState initialState,
        Func<TState, TOperation, (TState Next, TResult Result)> apply,
        IEqualityComparer<TState> stateComparer,
        IEqualityComparer<TResult> resultComparer) : ISequentialModel<TState, TOperation, TResult>
    {
        public TState InitialState => initialState;

        public IEqualityComparer<TState> StateComparer => stateComparer;

        public IEqualityComparer<TResult> ResultComparer => resultComparer;

        public (TState Next, TResult Result) Apply(TState state, TOperation operation) => apply(state, operation);
    }
}
