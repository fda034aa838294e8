using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Candor.Registry;

namespace Candor.Client.Consent;

/// <summary>Erasures a full disk refused and that are owed until it has room (<see cref="LocalStore.DeferredErasure"/>).</summary>
[Flags]
internal enum OwedErasure
{
    None = 0,

    /// <summary>The user's "erase": everything collected, pending or sent.</summary>
    Everything = 1,

    /// <summary>A "no" or a reset: everything not yet sent.</summary>
    Unsent = 2,

    /// <summary>A switch-off: the observations and pending reports of what is no longer allowed.</summary>
    SwitchedOff = 4,
}

/// <summary>
/// What the device owes the user after a full disk refused to save it, as kept in <see cref="DecisionsFile"/>:
/// the answer not yet saved in <c>consent.json</c> (with a hash of the file it was to replace) and the
/// erasures not yet done.
/// </summary>
/// <param name="Unsaved">The user's answer and switches, when <c>consent.json</c> could not be saved.</param>
/// <param name="Over">SHA-256 of the <c>consent.json</c> text the unsaved answer was to replace ("none": no file).
/// Another writer (<c>candor client consent</c>, another instance) that saved the file later changed it: its answer is newer and wins.</param>
/// <param name="Erasures">The erasures owed.</param>
internal sealed record OwedDecisions(ConsentRecord? Unsaved, string? Over, OwedErasure Erasures)
{
    public static readonly OwedDecisions Nothing = new(null, null, OwedErasure.None);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public bool IsNothing => Unsaved is null && Erasures == OwedErasure.None;

    public static string Fingerprint(string? consentText) =>
        consentText is null ? "none" : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(consentText)));

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>A damaged payload is nothing owed: the file's hash already refused torn writes, so this is another program's bytes.</summary>
    public static OwedDecisions Parse(byte[]? payload)
    {
        if (payload is null)
            return Nothing;
        try
        {
            return JsonSerializer.Deserialize<OwedDecisions>(payload, Json) ?? Nothing;
        }
        catch (JsonException)
        {
            return Nothing;
        }
    }

    /// <summary>
    /// Leaves out what the user was shown (<see cref="ConsentRecord.KnownMetrics"/>, <see cref="ConsentRecord.KnownCategories"/>)
    /// when the whole record does not fit: everything then counts as not yet asked, and stays off until asked (never on by accident).
    /// </summary>
    public OwedDecisions Smaller() => this with { Unsaved = Unsaved is null ? null : Unsaved with { KnownCategories = [], KnownMetrics = [] } };

    /// <summary>
    /// Room for the largest record this registry allows (every category and metric shown and switched off),
    /// doubled for a registry that grows, in whole 4 KiB pages.
    /// </summary>
    public static int SlotSizeFor(MetricRegistry registry)
    {
        string[] categories = registry.Categories.Select(c => c.Name).ToArray(), metrics = registry.Metrics.Select(m => m.Name).ToArray();
        var largest = new OwedDecisions(new ConsentRecord
        {
            State = ConsentState.Granted, RegistryVersion = int.MaxValue,
            KnownCategories = categories, KnownMetrics = metrics, DisabledCategories = categories, DisabledMetrics = metrics,
        }, new string('0', 64), OwedErasure.Everything | OwedErasure.Unsent | OwedErasure.SwitchedOff).ToBytes().Length;
        return Math.Max(8192, (2 * largest + 4096 + 4095) / 4096 * 4096);
    }
}
