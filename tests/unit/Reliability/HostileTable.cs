namespace Veralloc.Tests.Unit.Reliability;

/// <summary>One hostile call of the matrix and what became of it.</summary>
/// <param name="Subject">The allocator, land or memory configuration.</param>
/// <param name="EntryPoint">The public member called (<c>.ctor</c> for a constructor).</param>
/// <param name="Argument">The hostile argument, in words.</param>
/// <param name="Failure">Null when the call was rejected as specified with nothing changed; else what went wrong.</param>
internal sealed record HostileOutcome(string Subject, string EntryPoint, string Argument, string? Failure);

/// <summary>The part of a table the tests need without knowing its subject type.</summary>
internal interface IHostileTable
{
    string Subject { get; }

    Type SubjectType { get; }

    IReadOnlyCollection<string> EntryPoints { get; }

    int Count { get; }

    IReadOnlyList<HostileOutcome> Run();
}

/// <summary>
/// A table of hostile calls against one subject. Each row runs on a fresh subject: snapshot (every counter,
/// every list, a hash of every memory byte), call, check the outcome, snapshot again. A row passes when the
/// call threw exactly the expected exception type with a message containing every expected part (the value
/// and the rule), or returned false where running out is the specified outcome, and the snapshots are equal.
/// </summary>
/// <typeparam name="TSubject">The subject type.</typeparam>
internal sealed class HostileTable<TSubject>(string subject, Func<TSubject> create, Func<TSubject, string> snapshot) : IHostileTable
    where TSubject : class
{
    private readonly List<Row> _rows = [];

    public string Subject => subject;

    public Type SubjectType => typeof(TSubject);

    public IReadOnlyCollection<string> EntryPoints => _rows.Select(row => row.EntryPoint).Distinct().ToArray();

    public int Count => _rows.Count;

    /// <summary>Adds a call that must throw exactly <typeparamref name="TException"/>, naming every one of <paramref name="messageParts"/>.</summary>
    public HostileTable<TSubject> Throws<TException>(string entryPoint, string argument, Action<TSubject> call, params string[] messageParts)
        where TException : Exception
    {
        Assert.True(messageParts.Length >= 2, $"{subject}.{entryPoint}({argument}): a row names at least the value and the rule");
        _rows.Add(new Row(entryPoint, argument, typeof(TException), messageParts, s =>
        {
            call(s);
            return null;
        }));
        return this;
    }

    /// <summary>Adds a call whose specified outcome is <c>false</c> (out of memory, nothing found): no exception, nothing changed.</summary>
    public HostileTable<TSubject> ReturnsFalse(string entryPoint, string argument, Func<TSubject, bool> call)
    {
        _rows.Add(new Row(entryPoint, argument, null, [], s => call(s)));
        return this;
    }

    public IReadOnlyList<HostileOutcome> Run()
    {
        var outcomes = new List<HostileOutcome>(_rows.Count);
        foreach (Row row in _rows)
        {
            outcomes.Add(new HostileOutcome(subject, row.EntryPoint, row.Argument, RunRow(row)));
        }

        return outcomes;
    }

    private string? RunRow(Row row)
    {
        TSubject target = create();
        string before = snapshot(target);
        Exception? thrown = null;
        bool? returned = null;
        try
        {
            returned = row.Call(target);
        }
        catch (Exception exception)
        {
            thrown = exception;
        }

        string? failure = row.Expected is null
            ? thrown is null ? (returned == false ? null : $"returned {returned}, expected false")
                : $"threw {thrown.GetType().Name} ({thrown.Message}), expected false"
            : thrown is null ? $"returned normally, expected {row.Expected.Name}"
            : thrown.GetType() != row.Expected ? $"threw {thrown.GetType().Name} ({thrown.Message}), expected {row.Expected.Name}"
            : row.MessageParts.FirstOrDefault(part => !thrown.Message.Contains(part, StringComparison.Ordinal)) is { } missing
                ? $"the message \"{thrown.Message}\" does not name \"{missing}\""
                : null;
        string after = snapshot(target);
        return failure ?? (before == after ? null : $"the state changed:\n  before {before}\n  after  {after}");
    }

    private sealed record Row(string EntryPoint, string Argument, Type? Expected, string[] MessageParts, Func<TSubject, bool?> Call);
}
