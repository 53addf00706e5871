namespace Veralloc.Tests.Unit.Reliability;

/// <summary>
/// The bookkeeping of one corruption matrix: how many cases ran, how each ended, and what went wrong. A case
/// ends clean (a valid result), reported (an <see cref="Veralloc.Invariants.InvariantViolationException"/>, or a
/// documented argument exception, with nothing changed), or in a documented blind spot: a corruption that leaves a
/// plausible structure, which a configuration without redundant metadata cannot tell from a real one.
/// </summary>
internal sealed class CorruptionTally(string matrix, bool blindSpotsAllowed)
{
    private readonly List<string> _failures = [];
    private readonly List<string> _blindSpots = [];

    public string Matrix => matrix;

    public int Cases { get; private set; }

    public int Clean { get; private set; }

    public int Reported { get; private set; }

    public int BlindSpots { get; private set; }

    public IReadOnlyList<string> Failures => _failures;

    /// <summary>The blind-spot cases, each with what the operation did, for the failure message when their number changes.</summary>
    public IReadOnlyList<string> BlindSpotCases => _blindSpots;

    /// <summary>Judges one case.</summary>
    /// <param name="where">The corruption and the operation, for the failure report.</param>
    /// <param name="plausible">Whether the corrupted structure still has a valid shape (only its accounting is off).</param>
    /// <param name="strayAccesses">Accesses outside the memory the operation attempted.</param>
    /// <param name="thrown">What the operation threw, if anything.</param>
    /// <param name="documented">Whether a non-invariant exception is one the operation documents for this case.</param>
    /// <param name="unchanged">Whether the snapshot after a throw equals the one before.</param>
    /// <param name="outside">For a clean result: what it placed outside the memory (never allowed).</param>
    /// <param name="intoLive">For a clean result: what it handed out or wrote that overlaps live memory.</param>
    public void Judge(string where, bool plausible, IReadOnlyList<string> strayAccesses, Exception? thrown, Func<Exception, bool> documented,
        Func<bool> unchanged, IReadOnlyList<string> outside, IReadOnlyList<string> intoLive)
    {
        Cases++;
        if (strayAccesses.Count > 0)
        {
            Fail(where, $"accessed memory outside its bounds: {string.Join("; ", strayAccesses)}");
            return;
        }

        if (thrown is not null)
        {
            if (thrown is not Veralloc.Invariants.InvariantViolationException && !documented(thrown))
            {
                Fail(where, $"threw {thrown.GetType().Name}: {thrown.Message}");
            }
            else if (!unchanged())
            {
                Fail(where, $"threw {thrown.GetType().Name} ({thrown.Message}) after changing state");
            }
            else
            {
                Reported++;
            }

            return;
        }

        if (outside.Count > 0)
        {
            Fail(where, $"a result lies outside the memory: {string.Join("; ", outside)}");
        }
        else if (intoLive.Count == 0)
        {
            Clean++;
        }
        else if (plausible && blindSpotsAllowed)
        {
            BlindSpots++;
            _blindSpots.Add($"{where}: {string.Join("; ", intoLive)}");
        }
        else
        {
            Fail(where, $"a result overlaps live memory{(plausible ? " (a plausible corruption, but this configuration must catch it)" : string.Empty)}: {string.Join("; ", intoLive)}");
        }
    }

    /// <summary>Asserts every case passed and the documented number of blind spots is exactly what happened.</summary>
    /// <param name="expectedBlindSpots">The figure the README and design note 0007 quote.</param>
    public void AssertPassed(int expectedBlindSpots)
    {
        Assert.True(_failures.Count == 0, $"{matrix}: {_failures.Count} of {Cases} cases failed (first 40):\n{string.Join("\n", _failures.Take(40))}");
        Assert.True(Cases > 0 && Cases == Clean + Reported + BlindSpots, $"{matrix}: {Cases} cases but {Clean} clean + {Reported} reported + {BlindSpots} blind");
        Assert.True(blindSpotsAllowed || BlindSpots == 0, $"{matrix} allows no blind spot");
        Assert.True(BlindSpots == expectedBlindSpots,
            $"{matrix}: {BlindSpots} plausible corruptions were acted on, {expectedBlindSpots} documented:\n{string.Join("\n", _blindSpots)}");
    }

    /// <summary>This matrix's row of the README's reliability table, which the matrix test requires to be there verbatim.</summary>
    public string ReadmeRow() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"| {matrix} | {Cases:N0} | {Reported:N0} | {Clean:N0} | {BlindSpots:N0} |");

    /// <summary>Asserts the README quotes this matrix's figures as they are now.</summary>
    public void AssertQuotedInReadme()
    {
        string readme = File.ReadAllText(Path.Combine(Veralloc.Tests.Unit.Determinism.RepositoryPaths.Root, "README.md"));
        Assert.True(readme.Contains(ReadmeRow(), StringComparison.Ordinal), $"the README's reliability table must hold the row\n{ReadmeRow()}");
    }

    public override string ToString() => $"{matrix}: {Cases} cases, {Reported} reported with nothing changed, {Clean} clean, {BlindSpots} plausible (documented blind spot)";

    private void Fail(string where, string what) => _failures.Add($"{where}: {what}");
}
