using System.Reflection;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>Paths in the repository, found through the root the build records in the test assembly.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } =
        typeof(RepositoryFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "RepositoryRoot")?.Value
        ?? throw new InvalidOperationException("The test assembly records no RepositoryRoot metadata; see Veralloc.Tests.Property.csproj.");

    public static string Models => Path.Combine(Root, "spec", "promela");

    public static string Corpus => Path.Combine(Root, "spec", "conformance", "corpus");

    public static string ExportScript => Path.Combine(Root, "spec", "conformance", "export");
}
