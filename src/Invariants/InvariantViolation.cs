namespace Veralloc.Invariants;

/// <summary>
/// One broken invariant: its stable id (as registered in <c>spec/</c>), the offending element
/// (a node offset, a slot id, a list name) and a sentence saying what was found.
/// </summary>
/// <param name="InvariantId">The stable invariant id, for example <c>FL-SORTED</c> or <c>SLOT-LINKS</c>.</param>
/// <param name="Subject">The offending element, for example <c>node@0x40</c> or <c>slot 3</c>.</param>
/// <param name="Detail">What was expected and what was found, with the values involved.</param>
public sealed record InvariantViolation(string InvariantId, string Subject, string Detail)
{
    /// <summary>Formats the violation as <c>ID at SUBJECT: DETAIL</c>.</summary>
    public override string ToString() => $"{InvariantId} at {Subject}: {Detail}";

    /// <summary>Throws an <see cref="InvariantViolationException"/> carrying this violation.</summary>
    /// <exception cref="InvariantViolationException">Always.</exception>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void Throw() => throw new InvariantViolationException(this);
}

/// <summary>Thrown by <c>CheckInvariants()</c> when a data structure breaks one of its invariants.</summary>
public sealed class InvariantViolationException : Exception
{
    /// <summary>Creates the exception for <paramref name="violation"/>.</summary>
    /// <param name="violation">The broken invariant.</param>
    public InvariantViolationException(InvariantViolation violation)
        : base(violation?.ToString())
    {
        ArgumentNullException.ThrowIfNull(violation);
        Violation = violation;
    }

    /// <summary>The broken invariant.</summary>
    public InvariantViolation Violation { get; }

    /// <summary>The stable id of the broken invariant.</summary>
    public string InvariantId => Violation.InvariantId;
}

/// <summary>Helpers to compose checkers that each return the first violation they find, or null.</summary>
public static class Invariant
{
    /// <summary>Throws if <paramref name="violation"/> is not null.</summary>
    /// <param name="violation">A checker's result.</param>
    /// <exception cref="InvariantViolationException"><paramref name="violation"/> is not null.</exception>
    public static void ThrowIfViolated(InvariantViolation? violation)
    {
        if (violation is not null)
        {
            violation.Throw();
        }
    }

    /// <summary>Returns a violation for <paramref name="invariantId"/> unless <paramref name="condition"/> holds.</summary>
    /// <param name="condition">The property that must hold.</param>
    /// <param name="invariantId">The invariant's stable id.</param>
    /// <param name="subject">The element being checked.</param>
    /// <param name="detail">What broke, evaluated only on failure.</param>
    /// <returns>Null when <paramref name="condition"/> holds.</returns>
    public static InvariantViolation? Require(bool condition, string invariantId, string subject, Func<string> detail)
    {
        ArgumentNullException.ThrowIfNull(detail);
        return condition ? null : new InvariantViolation(invariantId, subject, detail());
    }
}
