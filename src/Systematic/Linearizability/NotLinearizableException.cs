namespace Veralloc.Systematic.Linearizability;

/// <summary>
/// Thrown by a linearizability check whose history no order of its calls explains; the engine reports it as
/// <see cref="BugKind.NotLinearizable"/>, with the message (the reason and the history drawn per thread) as the bug's.
/// </summary>
public sealed class NotLinearizableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which history, why no order explains it, and the history drawn per thread.</param>
    public NotLinearizableException(string message)
        : base(message)
    {
    }
}
