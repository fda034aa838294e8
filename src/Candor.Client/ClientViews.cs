using Candor.Client.Consent;

namespace Candor.Client;

/// <summary>A category as the user sees it: on, off, or new since they answered (off until asked).</summary>
public sealed record CategoryStatus(string Name, string Description, bool Enabled, bool NotYetAsked);

/// <summary>What <c>candor client status</c> shows.</summary>
public sealed record ClientStatus(
    string App,
    int RegistryVersion,
    EffectiveConsent Consent,
    bool NeedsPrompt,
    IReadOnlyList<CategoryStatus> Categories,
    IReadOnlyList<string> DisabledMetrics,
    int CollectedEntries,
    int PendingBatches,
    DateTimeOffset? NextUploadAt,
    int ConsecutiveFailures);

/// <summary>One thing collected for one metric and period, in words from the registry.</summary>
public sealed record CollectedItem(string Metric, string Description, string Period, string Summary);

/// <summary>What one call of <see cref="CandorClient.UploadAsync"/> did.</summary>
public sealed record UploadCycle(string Status, int Sent, int Dropped, int Pending, DateTimeOffset? NextUploadAt);

/// <summary>The format of the user's export of their local data.</summary>
public enum ExportFormat
{
    /// <summary>One JSON document: consent, what is kept, what waits to be sent, the local log.</summary>
    Json,
    /// <summary>One CSV row per kept entry, for a spreadsheet.</summary>
    Csv,
}
