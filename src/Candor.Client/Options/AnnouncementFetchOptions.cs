namespace Candor.Client.Options;

/// <summary>
/// Fetching the signed announcements (docs/announcements.md) and what a fetch may carry. A group of <see cref="CandorClientOptions"/>, as the collector groups its options: each
/// member forwards to the flat property of the same meaning, which stays (the public API pins it), so
/// <c>options.AnnouncementFetches.Keys</c> and <c>options.AnnouncementKeys</c> are one setting, and
/// configuration binds either spelling.
/// </summary>
public sealed class AnnouncementFetchOptions
{
    private readonly CandorClientOptions _owner;

    internal AnnouncementFetchOptions(CandorClientOptions owner) => _owner = owner;

    /// <inheritdoc cref="CandorClientOptions.AnnouncementKeys"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.AnnouncementKeys"/>: setting either sets both.</remarks>
    public List<string> Keys
    {
        get => _owner.AnnouncementKeys;
        set => _owner.AnnouncementKeys = value;
    }

    /// <inheritdoc cref="CandorClientOptions.AppVersion"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.AppVersion"/>: setting either sets both.</remarks>
    public string AppVersion
    {
        get => _owner.AppVersion;
        set => _owner.AppVersion = value;
    }

    /// <inheritdoc cref="CandorClientOptions.Platform"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.Platform"/>: setting either sets both.</remarks>
    public string Platform
    {
        get => _owner.Platform;
        set => _owner.Platform = value;
    }

    /// <inheritdoc cref="CandorClientOptions.Language"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.Language"/>: setting either sets both.</remarks>
    public string? Language
    {
        get => _owner.Language;
        set => _owner.Language = value;
    }

    /// <inheritdoc cref="CandorClientOptions.InstalledAt"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.InstalledAt"/>: setting either sets both.</remarks>
    public DateTimeOffset? InstalledAt
    {
        get => _owner.InstalledAt;
        set => _owner.InstalledAt = value;
    }

    /// <inheritdoc cref="CandorClientOptions.AnnouncementInterval"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.AnnouncementInterval"/>: setting either sets both.</remarks>
    public TimeSpan Interval
    {
        get => _owner.AnnouncementInterval;
        set => _owner.AnnouncementInterval = value;
    }

    /// <inheritdoc cref="CandorClientOptions.ReportbackJitter"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.ReportbackJitter"/>: setting either sets both.</remarks>
    public TimeSpan ReportbackJitter
    {
        get => _owner.ReportbackJitter;
        set => _owner.ReportbackJitter = value;
    }
}
