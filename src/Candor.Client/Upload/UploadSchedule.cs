namespace Candor.Client.Upload;

/// <summary>
/// When the device next speaks. The collector may only hint: its <c>next_report_after_seconds</c> or
/// <c>reportback_next</c> is clamped to <see cref="CandorClientOptions.MinUploadInterval"/> ..
/// <see cref="CandorClientOptions.MaxUploadInterval"/>, cut down to whole days, and a fresh random
/// delay of up to <see cref="CandorClientOptions.ReportbackJitter"/> (MARS: 3 days) is added on the device.
/// The failure this guards against: a hostile collector giving each answer its own delay, down to the
/// second, and recognising the installation by the moment it comes back (even through Tor). After the
/// clamp and the cut, the most a collector can do is put installations into a handful of whole-day
/// groups, and the jitter spreads each group over three days.
/// </summary>
internal static class UploadSchedule
{
    /// <summary>The wait a collector's hint may set: clamped, then whole days only.</summary>
    public static TimeSpan Bounded(TimeSpan hint, CandorClientOptions options)
    {
        var clamped = hint < options.MinUploadInterval ? options.MinUploadInterval
            : hint > options.MaxUploadInterval ? options.MaxUploadInterval : hint;
        var whole = TimeSpan.FromDays(Math.Floor(clamped.TotalDays));
        return whole < options.MinUploadInterval ? options.MinUploadInterval : whole;
    }

    /// <summary>The next upload after a hint (or, without one, the MARS random 3 to 10 days).</summary>
    public static DateTimeOffset After(DateTimeOffset now, TimeSpan? hint, CandorClientOptions options) =>
        hint is { } h
            ? now + Bounded(h, options) + Between(TimeSpan.Zero, options.ReportbackJitter, options.Random)
            : now + Between(options.FirstUploadDelayMin, options.FirstUploadDelayMax, options.Random);

    /// <summary>The next announcements fetch: half to one and a half intervals, drawn apart from any upload time.</summary>
    public static DateTimeOffset NextFetch(DateTimeOffset now, CandorClientOptions options) =>
        now + Between(options.AnnouncementInterval / 2, options.AnnouncementInterval * 1.5, options.Random);

    public static TimeSpan Between(TimeSpan min, TimeSpan max, Random random) =>
        min + TimeSpan.FromSeconds(random.NextDouble() * (max - min).TotalSeconds);
}
