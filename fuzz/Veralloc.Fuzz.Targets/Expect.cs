namespace Veralloc.Fuzz;

/// <summary>Checks the house rule for bad input: the right exception type, and the state as it was.</summary>
public static class Expect
{
    /// <summary>
    /// Runs <paramref name="call"/>, which must throw <typeparamref name="TException"/> (or a subtype), and checks that
    /// <paramref name="state"/> reads the same before and after.
    /// </summary>
    /// <typeparam name="TException">The exception the contract names.</typeparam>
    /// <param name="what">The call, for the message.</param>
    /// <param name="call">The call with bad input.</param>
    /// <param name="state">Reads the observable state as text.</param>
    /// <param name="exactType">Whether a subtype of <typeparamref name="TException"/> is wrong too (an
    /// <see cref="ArgumentException"/> for a conflict with the state, not an <see cref="ArgumentOutOfRangeException"/>).</param>
    /// <exception cref="FuzzCheckException">Nothing, or another exception, was thrown, or the state changed.</exception>
    public static void Rejected<TException>(string what, Action call, Func<string> state, bool exactType = false)
        where TException : Exception
    {
        string before = state();
        try
        {
            call();
        }
        catch (TException e)
        {
            FuzzCheckException.Require(!exactType || e.GetType() == typeof(TException), $"{what} threw {e.GetType().Name}, expected exactly {typeof(TException).Name}: {e.Message}");
            string after = state();
            FuzzCheckException.Require(after == before, $"{what} was rejected but changed the state:\nbefore {before}\nafter  {after}");
            return;
        }
        catch (Exception e)
        {
            throw new FuzzCheckException($"{what} threw {e.GetType().Name}, expected {typeof(TException).Name}", e);
        }

        throw new FuzzCheckException($"{what} was accepted, expected {typeof(TException).Name}");
    }
}
