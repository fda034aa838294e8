using Microsoft.CodeAnalysis;

namespace Candor.Client.Generators;

/// <summary>The compiler diagnostics of the typed-metrics generator; each points into the registry file.</summary>
internal static class RegistryDiagnostics
{
    private const string Category = "Candor.Registry";

    /// <summary>The registry breaks a rule of the collector's parser: the app would be refused at run time and by the collector.</summary>
    public static readonly DiagnosticDescriptor InvalidRegistry = new(
        "CANDOR001", "Invalid metric registry", "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "The registry file is refused by Candor's registry parser, the same one the collector runs.");

    /// <summary>
    /// Two metrics (or a metric and a member the generated code needs) map to one C# name. The metric
    /// stays usable through the string API; only its typed handle is left out.
    /// </summary>
    public static readonly DiagnosticDescriptor NameClash = new(
        "CANDOR002", "Metric has no typed handle", "{0}", Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    /// <summary>The registry file could not be read at all.</summary>
    public static readonly DiagnosticDescriptor Unreadable = new(
        "CANDOR003", "Metric registry cannot be read", "The registry file '{0}' could not be read", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
