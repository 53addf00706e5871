namespace Veralloc.Fuzz;

/// <summary>
/// The code under test disagreed with the target's model or broke its documented contract. afl-fuzz reports the
/// input as a crash; the corpus replay test fails with this message.
/// </summary>
public sealed class FuzzCheckException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FuzzCheckException()
    {
    }

    /// <summary>Creates the exception with a message saying what disagreed.</summary>
    /// <param name="message">What the model expected and what the code did.</param>
    public FuzzCheckException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that broke the contract.</summary>
    /// <param name="message">What the model expected and what the code did.</param>
    /// <param name="innerException">The exception the code threw.</param>
    public FuzzCheckException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    /// <param name="condition">What must hold.</param>
    /// <param name="message">Says what was expected and what was found.</param>
    /// <exception cref="FuzzCheckException"><paramref name="condition"/> is false.</exception>
    public static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzCheckException(message);
        }
    }
}
