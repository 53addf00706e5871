using Veralloc.Cli.Commands;
using Veralloc.Tests.Unit.Determinism;

namespace Veralloc.Tests.Unit.Cli;

/// <summary>The exit-code table is one table: distinct codes, and the README lists exactly what help prints.</summary>
public sealed class ExitCodeDocumentationTests
{
    [Fact]
    public void TheExitCodesAreDistinctAndTheTableListsEachOnce()
    {
        int[] constants = [ExitCodes.Success, ExitCodes.BugFound, ExitCodes.BadInput, ExitCodes.OutOfMemory, ExitCodes.InternalError];

        Assert.Equal(constants, ExitCodes.All.Select(entry => entry.Code));
        Assert.Equal(constants.Length, constants.Distinct().Count());
        Assert.Equal(constants.Length, ExitCodes.All.Select(entry => entry.Name).Distinct().Count());
    }

    [Fact]
    public void TheReadmeListsEveryExitCodeAsHelpDoes()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        string[] rows = [.. readme.Split('\n').Where(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^\| \d+ \| "))];

        Assert.Equal(ExitCodes.All.Select(entry => $"| {entry.Code} | {entry.Name} | {entry.Meaning} |"), rows);
    }
}
