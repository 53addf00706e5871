using System.Reflection;

namespace Veralloc.Tests.Unit.Determinism;

/// <summary>Build-time paths the test project records as assembly metadata.</summary>
internal static class RepositoryPaths
{
    public static string Root => Metadata("RepositoryRoot");

    public static string BannedApiAnalyzersPackage => Metadata("BannedApiAnalyzersPackage");

    public static string PublicApiAnalyzersPackage => Metadata("PublicApiAnalyzersPackage");

    private static string Metadata(string key) =>
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == key)?.Value
        ?? throw new InvalidOperationException($"The test assembly records no '{key}' metadata; see Veralloc.Tests.Unit.csproj.");
}
