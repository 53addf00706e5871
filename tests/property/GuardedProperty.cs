using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace Veralloc.Tests.Property;

/// <summary>
/// Runs a property whose test also asserts, after FsCheck is done, that the generated inputs reached the paths that
/// matter (growths, failed allocations, injected faults...). <c>[Property]</c> has no place for such a check, so these
/// suites call FsCheck directly; everything else about them matches <c>[Property]</c>: a random seed per run, the seed
/// and the shrunk input in the failure message, and replay with the text FsCheck printed.
/// </summary>
internal static class GuardedProperty
{
    /// <summary>
    /// Holds a seed to replay, written as FsCheck prints it and as <c>[Property(Replay = ...)]</c> takes it:
    /// <c>(seed,gamma)</c> or <c>seed,gamma</c>, optionally followed by <c>,size</c>.
    /// </summary>
    public const string ReplayVariable = "VERALLOC_FSCHECK_REPLAY";

    /// <summary>Checks <paramref name="run"/> on <paramref name="maxTest"/> inputs; throws with the suite, seed and shrunk input on failure.</summary>
    public static void Check<T>(string suite, Arbitrary<T> inputs, Action<T> run, int maxTest)
    {
        FsCheck.Property property = Prop.ForAll(inputs, run);
        Config config = Config.QuickThrowOnFailure.WithMaxTest(maxTest).WithQuietOnSuccess(true);
        string? replay = Environment.GetEnvironmentVariable(ReplayVariable);
        if (!string.IsNullOrWhiteSpace(replay))
        {
            config = config.WithReplay(FSharpOption<Replay>.Some(ParseReplay(replay)));
        }

        try
        {
            FsCheck.Check.One(config, property);
        }
        catch (Exception failure)
        {
            throw new Xunit.Sdk.XunitException(
                $"{suite} property failed; to replay it, set {ReplayVariable} to the seed FsCheck reports below (the pair in parentheses).\n{failure.Message}");
        }
    }

    /// <summary>Parses <c>(seed,gamma)</c>, <c>seed,gamma</c> or either with a trailing <c>,size</c>.</summary>
    public static Replay ParseReplay(string text)
    {
        string[] parts = text.Trim().Trim('(', ')').Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is not (2 or 3)
            || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed)
            || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong gamma))
        {
            throw new ArgumentException($"{ReplayVariable} is '{text}'; expected the seed as FsCheck prints it, e.g. (123,456) or 123,456,10.", nameof(text));
        }

        FSharpOption<int> size = FSharpOption<int>.None;
        if (parts.Length == 3)
        {
            if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int startSize))
            {
                throw new ArgumentException($"{ReplayVariable} is '{text}'; the size after the seed must be a non-negative integer.", nameof(text));
            }

            size = FSharpOption<int>.Some(startSize);
        }

        return new Replay(new Rnd(seed, gamma), size);
    }
}
