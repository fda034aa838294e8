namespace Candor.Announcements;

/// <summary>
/// The query parameters an opted-in announcements fetch may carry, each the registry metric it is
/// counted as. One table for both ends: the client sends a parameter only as a value its registry allows
/// for that metric, and the collector counts it only under the same rule.
/// </summary>
public static class FetchParameterNames
{
    /// <summary>Counted for every fetch, one report a day per fetch; a client whose user switched it off does not fetch.</summary>
    public const string FetchMetric = "motd.fetch";

    public static readonly IReadOnlyDictionary<string, string> Metrics = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["version"] = "motd.version",
        ["platform"] = "motd.platform",
        ["language"] = "motd.language",
        ["install_age"] = "motd.install_age",
    };
}
