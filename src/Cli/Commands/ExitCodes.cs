namespace Veralloc.Cli.Commands;

/// <summary>
/// The exit codes of every <c>veralloc</c> command, one table for all of them, so a script can tell "the code under
/// test is wrong" from "the input was wrong" from "veralloc itself is wrong" without reading the output
/// (docs/design-notes/0070-cli-exit-codes-and-hostile-input.md). <c>veralloc --help</c> and the README print
/// <see cref="All"/>.
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked and every check passed.</summary>
    public const int Success = 0;

    /// <summary>
    /// A check failed: a bug in a correct scenario, a mutant not found, a replay that did not reproduce its trace exactly
    /// (another outcome, a divergence, or decisions left unused), an allocator that failed verification.
    /// </summary>
    public const int BugFound = 1;

    /// <summary>Bad arguments, or an input file that cannot be read or breaks its format's rules.</summary>
    public const int BadInput = 2;

    /// <summary>An allocator refused an allocation (a legal outcome, not a broken allocator) and nothing else failed.</summary>
    public const int OutOfMemory = 3;

    /// <summary>An exception nothing expected: a defect in veralloc itself.</summary>
    public const int InternalError = 4;

    /// <summary>Every code with its name and meaning, in the order help and the README list them.</summary>
    public static IReadOnlyList<(int Code, string Name, string Meaning)> All { get; } =
    [
        (Success, "success", "the command did what it was asked and every check passed (replay: the run reproduced its trace exactly)"),
        (BugFound, "bug found", "a check failed: test found a bug in a correct scenario or missed a mutant; replay ended with another outcome, diverged, or left decisions of the trace unused; an allocator failed verification (bench, heap)"),
        (BadInput, "bad input", "bad arguments, or a trace file that cannot be read or breaks its format's rules (reported as file:line: problem)"),
        (OutOfMemory, "out of memory", "an allocator refused an allocation and nothing else failed (heap; bench when no allocator could run the trace)"),
        (InternalError, "internal error", "an unexpected exception: a defect in veralloc (the message and stack trace go to standard error)"),
    ];
}
