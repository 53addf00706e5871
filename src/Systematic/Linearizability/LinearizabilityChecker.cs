using System.Globalization;
using System.Text;

namespace Veralloc.Systematic.Linearizability;

/// <summary>
/// Decides whether a history is linearizable against a sequential model: Wing and Gong's search over the operations
/// that may take effect next, with Lowe's memoization of every (model state, set of operations already ordered) found
/// to lead nowhere, so each such configuration is searched at most once.
/// </summary>
/// <remarks>
/// A call still pending (no response) may take effect anywhere after its invocation, with any result, or not at all.
/// The search is exponential in the number of overlapping calls at worst; histories of systematic tests are small.
/// </remarks>
public static class LinearizabilityChecker
{
    /// <summary>Checks the calls recorded in <paramref name="history"/> so far.</summary>
    /// <typeparam name="TState">The model's state.</typeparam>
    /// <typeparam name="TOperation">An operation with its arguments.</typeparam>
    /// <typeparam name="TResult">What an operation returns.</typeparam>
    /// <param name="model">The sequential specification.</param>
    /// <param name="history">The history.</param>
    /// <returns>The verdict, with a linearization or the reason there is none.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LinearizabilityResult<TOperation, TResult> Check<TState, TOperation, TResult>(
        ISequentialModel<TState, TOperation, TResult> model, History<TOperation, TResult> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return Check(model, history.Operations);
    }

    /// <summary>Checks a history given as its calls (for example one built by hand in a test).</summary>
    /// <typeparam name="TState">The model's state.</typeparam>
    /// <typeparam name="TOperation">An operation with its arguments.</typeparam>
    /// <typeparam name="TResult">What an operation returns.</typeparam>
    /// <param name="model">The sequential specification.</param>
    /// <param name="operations">The calls, in any order.</param>
    /// <returns>The verdict, with a linearization or the reason there is none.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">
    /// A call responds at or before its invocation, two events share a position, or one thread's calls overlap.
    /// </exception>
    public static LinearizabilityResult<TOperation, TResult> Check<TState, TOperation, TResult>(
        ISequentialModel<TState, TOperation, TResult> model, IReadOnlyList<RecordedOperation<TOperation, TResult>> operations)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(operations);
        Validate(operations);
        return new Search<TState, TOperation, TResult>(model, operations).Run();
    }

    private static void Validate<TOperation, TResult>(IReadOnlyList<RecordedOperation<TOperation, TResult>> operations)
    {
        var positions = new HashSet<int>();
        for (var i = 0; i < operations.Count; i++)
        {
            var call = operations[i] ?? throw new ArgumentException($"Call {i} is null.", nameof(operations));
            if (call.RespondedAt is { } responded && responded <= call.InvokedAt)
            {
                throw new ArgumentException($"Call {i} ({call}) responds at {responded}, not after its invocation at {call.InvokedAt}.", nameof(operations));
            }

            if (!positions.Add(call.InvokedAt) || (call.RespondedAt is { } end && !positions.Add(end)))
            {
                throw new ArgumentException($"Call {i} ({call}) shares a position with another event: positions must order every invocation and response.", nameof(operations));
            }
        }

        var previousByThread = new Dictionary<string, RecordedOperation<TOperation, TResult>>(StringComparer.Ordinal);
        foreach (var call in operations.OrderBy(call => call.InvokedAt))
        {
            if (previousByThread.TryGetValue(call.Thread, out var previous) && (previous.RespondedAt ?? int.MaxValue) > call.InvokedAt)
            {
                throw new ArgumentException($"'{call.Thread}' invokes {call.Operation} at {call.InvokedAt} before its call {previous.Operation} has responded: one thread's calls must not overlap.", nameof(operations));
            }

            previousByThread[call.Thread] = call;
        }
    }

    /// <summary>One event of the history on the doubly linked list the search lifts calls out of.</summary>
    private sealed class Event(int call, bool isInvocation)
    {
        public int Call { get; } = call;

        public bool IsInvocation { get; } = isInvocation;

        public Event? Response { get; set; }

        public Event? Previous { get; set; }

        public Event? Next { get; set; }
    }

    private readonly record struct Frame<TState>(Event Invocation, TState StateBefore, CallSet OrderedBefore);

    private sealed class Search<TState, TOperation, TResult>
    {
        private readonly ISequentialModel<TState, TOperation, TResult> _model;
        private readonly IReadOnlyList<RecordedOperation<TOperation, TResult>> _calls;
        private readonly Event _head = new(-1, isInvocation: false);
        private readonly Stack<Frame<TState>> _stack = new();
        private readonly HashSet<(CallSet Ordered, TState State)> _ruledOut;

        // The deepest order reached, and why nothing could follow it: what a reader needs to see the bug.
        private int[] _longestOrder = [];
        private readonly List<string> _whyNothingFollows = [];
        private bool _atLongest = true;

        public Search(ISequentialModel<TState, TOperation, TResult> model, IReadOnlyList<RecordedOperation<TOperation, TResult>> calls)
        {
            _model = model;
            _calls = calls;
            _ruledOut = new HashSet<(CallSet, TState)>(new ConfigurationComparer(model.StateComparer));
            var events = new List<(int Position, Event Event)>();
            for (var i = 0; i < calls.Count; i++)
            {
                var invocation = new Event(i, isInvocation: true);
                events.Add((calls[i].InvokedAt, invocation));
                if (calls[i].RespondedAt is { } responded)
                {
                    invocation.Response = new Event(i, isInvocation: false);
                    events.Add((responded, invocation.Response));
                }
            }

            var previous = _head;
            foreach (var (_, next) in events.OrderBy(entry => entry.Position))
            {
                previous.Next = next;
                next.Previous = previous;
                previous = next;
            }
        }

        public LinearizabilityResult<TOperation, TResult> Run()
        {
            var state = _model.InitialState;
            var ordered = new CallSet(_calls.Count);
            var completedLeft = _calls.Count(call => !call.IsPending);
            var current = _head.Next;
            while (completedLeft > 0)
            {
                if (current is null || !current.IsInvocation)
                {
                    // A response whose call has not taken effect yet (or the end): undo the last choice and try the next.
                    if (_stack.Count == 0)
                    {
                        return Verdict(linearizable: false, []);
                    }

                    var frame = _stack.Pop();
                    _atLongest = false;
                    state = frame.StateBefore;
                    ordered = frame.OrderedBefore;
                    Restore(frame.Invocation);
                    completedLeft += _calls[frame.Invocation.Call].IsPending ? 0 : 1;
                    current = frame.Invocation.Next;
                    continue;
                }

                var call = _calls[current.Call];
                var (next, result) = Apply(state, call);
                if (!call.IsPending && !_model.ResultComparer.Equals(call.Result, result))
                {
                    Explain(call, string.Create(CultureInfo.InvariantCulture, $"{Who(call)} {call}, where the model returns {result}"));
                    current = current.Next;
                    continue;
                }

                var orderedNext = ordered.With(current.Call);
                if (!_ruledOut.Add((orderedNext, next)))
                {
                    Explain(call, $"{Who(call)} {call} fits, but every order from there was already ruled out");
                    current = current.Next;
                    continue;
                }

                _stack.Push(new Frame<TState>(current, state, ordered));
                state = next;
                ordered = orderedNext;
                Lift(current);
                completedLeft -= call.IsPending ? 0 : 1;
                if (_stack.Count > _longestOrder.Length)
                {
                    _longestOrder = Order();
                    _whyNothingFollows.Clear();
                    _atLongest = true;
                }
                else
                {
                    _atLongest = false;
                }

                current = _head.Next;
            }

            return Verdict(linearizable: true, Order());
        }

        private (TState Next, TResult Result) Apply(TState state, RecordedOperation<TOperation, TResult> call)
        {
            try
            {
                return _model.Apply(state, call.Operation);
            }
            catch (Exception exception)
            {
                throw new InvalidOperationException($"The sequential model threw {exception.GetType().Name} on {call.Operation} (called by '{call.Thread}'): a model must return a result for every operation the history holds. {exception.Message}", exception);
            }
        }

        private void Explain(RecordedOperation<TOperation, TResult> call, string reason)
        {
            if (_atLongest && !call.IsPending)
            {
                _whyNothingFollows.Add(reason);
            }
        }

        private int[] Order()
        {
            var order = _stack.Select(frame => frame.Invocation.Call).ToArray();
            Array.Reverse(order);
            return order;
        }

        private LinearizabilityResult<TOperation, TResult> Verdict(bool linearizable, int[] order)
        {
            var shown = linearizable ? order : _longestOrder;
            return new LinearizabilityResult<TOperation, TResult>(
                _calls, linearizable, [.. shown.Select(i => _calls[i])], linearizable ? string.Empty : ExplainFailure(), _ruledOut.Count);
        }

        private string ExplainFailure()
        {
            var completed = _calls.Count(call => !call.IsPending);
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"no order of its {completed} completed call{(completed == 1 ? string.Empty : "s")} that keeps their real-time order gives the recorded results.");
            text.Append(CultureInfo.InvariantCulture, $"\nLongest order the model allows ({_longestOrder.Length} call{(_longestOrder.Length == 1 ? string.Empty : "s")}): ");
            text.Append(_longestOrder.Length == 0 ? "none" : string.Join("; ", _longestOrder.Select(i => $"{Who(_calls[i])} {_calls[i]}")));
            text.Append("\nAfter it nothing fits: ");
            text.Append(_whyNothingFollows.Count == 0 ? "the next response is due before any remaining call can take effect" : string.Join("; ", _whyNothingFollows));
            text.Append('.');
            return text.ToString();
        }

        private static string Who(RecordedOperation<TOperation, TResult> call) => $"[{call.Thread}]";

        private static void Lift(Event invocation)
        {
            Unlink(invocation);
            if (invocation.Response is { } response)
            {
                Unlink(response);
            }
        }

        private static void Restore(Event invocation)
        {
            // The reverse of Lift: each event's neighbours still point where it was.
            if (invocation.Response is { } response)
            {
                Relink(response);
            }

            Relink(invocation);
        }

        private static void Unlink(Event item)
        {
            item.Previous!.Next = item.Next;
            if (item.Next is not null)
            {
                item.Next.Previous = item.Previous;
            }
        }

        private static void Relink(Event item)
        {
            item.Previous!.Next = item;
            if (item.Next is not null)
            {
                item.Next.Previous = item;
            }
        }

        private sealed class ConfigurationComparer(IEqualityComparer<TState> states) : IEqualityComparer<(CallSet Ordered, TState State)>
        {
            public bool Equals((CallSet Ordered, TState State) x, (CallSet Ordered, TState State) y) =>
                x.Ordered.Equals(y.Ordered) && states.Equals(x.State, y.State);

            public int GetHashCode((CallSet Ordered, TState State) configuration) =>
                HashCode.Combine(configuration.Ordered.GetHashCode(), configuration.State is null ? 0 : states.GetHashCode(configuration.State));
        }
    }

    /// <summary>An immutable set of call indexes, compared by value.</summary>
    private readonly struct CallSet : IEquatable<CallSet>
    {
        private readonly ulong[] _words;
        private readonly int _hash;

        public CallSet(int capacity)
        {
            _words = new ulong[(capacity + 63) / 64];
            _hash = 0;
        }

        private CallSet(ulong[] words)
        {
            _words = words;
            var hash = new HashCode();
            foreach (var word in words)
            {
                hash.Add(word);
            }

            _hash = hash.ToHashCode();
        }

        public CallSet With(int call)
        {
            var words = (ulong[])_words.Clone();
            words[call / 64] |= 1UL << (call % 64);
            return new CallSet(words);
        }

        public bool Equals(CallSet other) => _hash == other._hash && _words.AsSpan().SequenceEqual(other._words);

        public override bool Equals(object? obj) => obj is CallSet other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}

/// <summary>The verdict of <see cref="LinearizabilityChecker"/> on one history.</summary>
/// <typeparam name="TOperation">An operation with its arguments.</typeparam>
/// <typeparam name="TResult">What an operation returns.</typeparam>
public sealed class LinearizabilityResult<TOperation, TResult>
{
    internal LinearizabilityResult(IReadOnlyList<RecordedOperation<TOperation, TResult>> operations, bool isLinearizable, IReadOnlyList<RecordedOperation<TOperation, TResult>> order, string explanation, int configurationsSearched)
    {
        Operations = operations;
        IsLinearizable = isLinearizable;
        Order = order;
        Explanation = explanation;
        ConfigurationsSearched = configurationsSearched;
    }

    /// <summary>True when some order of the calls, keeping their real-time order, makes the model return every recorded result.</summary>
    public bool IsLinearizable { get; }

    /// <summary>The history checked.</summary>
    public IReadOnlyList<RecordedOperation<TOperation, TResult>> Operations { get; }

    /// <summary>
    /// When linearizable, one such order (a linearization; pending calls appear only where they took effect). When not,
    /// the longest order of calls the model allows before every continuation fails.
    /// </summary>
    public IReadOnlyList<RecordedOperation<TOperation, TResult>> Order { get; }

    /// <summary>Why the history is not linearizable (empty when it is).</summary>
    public string Explanation { get; }

    /// <summary>How many distinct (state, set of ordered calls) configurations the search visited.</summary>
    public int ConfigurationsSearched { get; }

    /// <summary>The verdict in words, and the history drawn thread by thread.</summary>
    /// <returns>A multi-line report.</returns>
    public string Format()
    {
        var verdict = IsLinearizable
            ? $"linearizable: {string.Join("; ", Order.Select(call => $"[{call.Thread}] {call}"))}"
            : $"not linearizable: {Explanation}";
        return verdict + "\n" + HistoryDiagram.Draw(Operations);
    }

    /// <inheritdoc />
    public override string ToString() => Format();
}
