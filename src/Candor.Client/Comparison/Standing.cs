namespace Candor.Client.Comparison;

/// <summary>
/// Where this installation stands among all of an application's installations for one metric, worked
/// out on the device from the collector's public figures. Nothing about this installation was sent.
/// </summary>
/// <param name="Metric">The registry metric compared.</param>
/// <param name="Sentence">The answer in words, for the user.</param>
/// <param name="Yours">This installation's value in the current period, as the user would read it (null: nothing recorded).</param>
/// <param name="PublishedPeriod">The published period compared with (the newest final one), or null when none is published yet.</param>
/// <param name="ShareBelow">Share of installations in the published figures with a lower value (counters and quantities), or sharing the value (enums and flags).</param>
public sealed record Standing(string Metric, string Sentence, string? Yours, string? PublishedPeriod, double? ShareBelow)
{
    /// <summary>
    /// True when this installation's value could not be read from the local store (a full disk kept the
    /// store from being created): nothing was compared and no public figures were fetched, and
    /// <see cref="Yours"/> being null does not mean nothing was recorded.
    /// </summary>
    public bool LocalStoreUnavailable { get; init; }
}
