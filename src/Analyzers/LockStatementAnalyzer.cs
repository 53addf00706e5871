using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Veralloc.Analyzers;

/// <summary>
/// Reports every C# <c>lock</c> statement in deterministic code. BannedApiAnalyzers bans the
/// <c>System.Threading</c> types, but a <c>lock (obj)</c> statement names no banned symbol (the
/// compiler lowers it to <c>Monitor</c> calls after analysis), so without this rule an uncontrolled
/// lock could still slip into allocator code, out of the systematic scheduler's sight.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LockStatementAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "VA0001";

    private static readonly DiagnosticDescriptor s_rule = new(
        DiagnosticId,
        title: "Uncontrolled lock statement in deterministic code",
        messageFormat: "The 'lock' statement takes an uncontrolled lock; synchronize through IAllocatorLock so a controlled scheduler sees every lock operation",
        category: "Veralloc.Determinism",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Allocator code synchronizes only through Veralloc.Allocators.Concurrency.IAllocatorLock (docs/design-notes/0001-banned-apis.md).");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(s_rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(
            nodeContext => nodeContext.ReportDiagnostic(Diagnostic.Create(s_rule, nodeContext.Node.GetFirstToken().GetLocation())),
            SyntaxKind.LockStatement);
    }
}
