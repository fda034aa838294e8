namespace Candor.Announcements;

/// <summary>
/// The query parameters an opted-in announcements fetch may carry, each the registry metric it is
/// counted as. One table for both ends: the client sends a parameter only as a value its registry allows
/// for that metric, and the collector counts it only under the same rule.
/// </summary>
internal static class FetchParameterNames
{
    /// <summary>Counted for every fetch, one report a day per fetch; a client whose user switched it off does not fetch.</summary>
    public const string FetchMetric = "motd.fetch";

    /// <summary>
    /// <c>counted=0</c> marks a device's second and later fetch of a UTC day (the app asked again, a retry
    /// after a lost answer, a restart): the collector serves it and counts nothing, so <c>motd.*</c> count
    /// each installation at most once a day. It carries no other parameter. A fetch without it (every
    /// client before this rule) is counted as before.
    /// </summary>
    public const string Counted = "counted";

    public static readonly IReadOnlyDictionary<string, string> Metrics = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["version"] = "motd.version",
        ["platform"] = "motd.platform",
        ["language"] = "motd.language",
        ["install_age"] = "motd.install_age",
    };
}
