using System.Diagnostics;
using System.Reflection;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.Spec;

/// <summary>
/// Declares that a test breaks the invariant <see cref="Id"/> (by corrupting state or driving a mutant) and observes the
/// violation through <see cref="InvariantAssert.Violates(string, Action)"/>. <see cref="InvariantTraceabilityTests"/> runs
/// every test so marked and requires that it observes exactly the ids it declares, and that every id in spec/ has one.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class TriggersInvariantAttribute(string id) : Attribute
{
    /// <summary>The invariant id the test observes.</summary>
    public string Id { get; } = id;
}

/// <summary>Assertions that an invariant violation was raised, and a record of which ids a test observed.</summary>
public static class InvariantAssert
{
    private static readonly AsyncLocal<HashSet<string>?> s_observed = new();

    /// <summary>
    /// Asserts that <paramref name="action"/> throws an <see cref="InvariantViolationException"/> carrying exactly
    /// <paramref name="invariantId"/> and naming its subject, raised from product code (some frame of the throw lies in a
    /// Veralloc assembly other than Veralloc.Invariants and the tests, i.e. an allocator's own check); records the
    /// observation for <see cref="Observe"/>.
    /// </summary>
    /// <returns>The exception, for further assertions.</returns>
    public static InvariantViolationException Violates(string invariantId, Action action)
    {
        InvariantViolationException error = Assert.Throws<InvariantViolationException>(action);
        Assert.Equal(invariantId, error.InvariantId);
        Assert.False(string.IsNullOrWhiteSpace(error.Violation.Subject), $"{invariantId}: the violation names no offending node, slot or range");
        string[] raisers = ProductFrames(error);
        Assert.True(raisers.Length > 0,
            $"{invariantId} was thrown without passing through an allocator's code (a test cannot observe an id it throws itself):\n{error.StackTrace}");
        s_observed.Value?.Add(invariantId);
        return error;
    }

    /// <summary>As <see cref="Violates(string, Action)"/>, for a query (a property read) that must report the violation.</summary>
    public static InvariantViolationException Violates(string invariantId, Func<object?> query) => Violates(invariantId, () => { _ = query(); });

    /// <summary>Runs <paramref name="test"/> and returns the ids that <see cref="Violates(string, Action)"/> observed in it.</summary>
    internal static IReadOnlySet<string> Observe(Action test)
    {
        var observed = new HashSet<string>(StringComparer.Ordinal);
        s_observed.Value = observed;
        try
        {
            test();
        }
        finally
        {
            s_observed.Value = null;
        }

        return observed;
    }

    private static string[] ProductFrames(Exception error) =>
        (new StackTrace(error, fNeedFileInfo: false).GetFrames() ?? [])
            .Select(frame => frame.GetMethod())
            .Where(method => method?.DeclaringType?.Assembly is Assembly assembly && IsProduct(assembly))
            .Select(method => $"{method!.DeclaringType!.FullName}.{method.Name}")
            .ToArray();

    private static bool IsProduct(Assembly assembly)
    {
        string name = assembly.GetName().Name ?? "";
        return name.StartsWith("Veralloc.", StringComparison.Ordinal)
            && !name.StartsWith("Veralloc.Tests", StringComparison.Ordinal)
            && name != typeof(InvariantViolation).Assembly.GetName().Name;
    }
}
