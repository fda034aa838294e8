using Microsoft.Extensions.Options;

namespace Candor.Client;

/// <summary>
/// The one list of option problems, used by <see cref="CandorClient.Create(CandorClientOptions)"/> (which throws
/// the first) and by <c>AddCandor</c>'s <c>ValidateOnStart</c> (the host refuses to start with all of them),
/// so a bad setting is found when the app starts, not at the first upload days later.
/// </summary>
internal sealed class CandorClientOptionsValidator : IValidateOptions<CandorClientOptions>
{
    public ValidateOptionsResult Validate(string? name, CandorClientOptions options)
    {
        var problems = Problems(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static IEnumerable<string> Problems(CandorClientOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.DataDirectory))
            yield return "CandorClientOptions.DataDirectory is required: the folder for consent and local data.";
        if (o.Registry is null && string.IsNullOrWhiteSpace(o.RegistryFile))
            yield return "Either CandorClientOptions.Registry or RegistryFile is required.";
        if (o.FirstUploadDelayMin < TimeSpan.Zero || o.FirstUploadDelayMax < o.FirstUploadDelayMin)
            yield return "FirstUploadDelayMin must be 0 or more and at most FirstUploadDelayMax.";
        if (o.MinUploadInterval < TimeSpan.Zero || o.MaxUploadInterval < o.MinUploadInterval)
            yield return "MinUploadInterval must be 0 or more and at most MaxUploadInterval.";
        if (o.ReportbackJitter < TimeSpan.Zero)
            yield return "ReportbackJitter must be 0 or more.";
        if (o.MaxOutboxBatches < 1)
            yield return "MaxOutboxBatches must be at least 1.";
        if (o.FlushInterval <= TimeSpan.Zero || o.UploadCheckInterval <= TimeSpan.Zero || o.AnnouncementInterval <= TimeSpan.Zero)
            yield return "FlushInterval, UploadCheckInterval and AnnouncementInterval must be more than 0.";
        if (o.CollectorUrl is { } u && !(u.IsAbsoluteUri && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)))
            yield return $"CollectorUrl must be an absolute http or https URL, not '{u}'.";
        if (o.LogMissingAfter <= TimeSpan.Zero || o.LogCheckWindow < TimeSpan.Zero)
            yield return "LogMissingAfter must be more than 0 and LogCheckWindow 0 or more.";
        if (o.DeletionWindow < TimeSpan.Zero)
            yield return "DeletionWindow must be 0 or more.";
        if (o.LogKey is { } key && !Candor.Transparency.NoteVerifierKey.TryParse(key, out _, out var why))
            yield return $"LogKey is not a log verifier key: {why}.";
        if (o.DevelopmentUploads && o.CollectorUrl is not { IsLoopback: true })
            yield return $"DevelopmentUploads sends unfinished periods at once and is only for a collector on this machine (127.0.0.1, ::1 or localhost), not '{o.CollectorUrl}'.";
    }
}
