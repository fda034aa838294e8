using System.Text.Json;
using System.Text.Json.Serialization;

namespace Candor.Client.Consent;

/// <summary>
/// What the user decided, persisted as <c>consent.json</c> in the data directory. Consent covers the
/// categories and metrics the user was shown (<see cref="KnownCategories"/>, <see cref="KnownMetrics"/>):
/// anything a later registry adds stays off until the user is asked again.
/// </summary>
public sealed record ConsentRecord
{
    public ConsentState State { get; init; } = ConsentState.Unset;

    /// <summary>Registry version the user answered for.</summary>
    public int RegistryVersion { get; init; }

    public string[] KnownCategories { get; init; } = [];
    public string[] KnownMetrics { get; init; } = [];
    public string[] DisabledCategories { get; init; } = [];
    public string[] DisabledMetrics { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public const string FileName = "consent.json";

    /// <summary>Reads the record; a missing file is unset. A damaged file is also unset: never granted by accident.</summary>
    public static ConsentRecord Load(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
            return new ConsentRecord();
        try
        {
            return JsonSerializer.Deserialize<ConsentRecord>(File.ReadAllText(path), Json) ?? new ConsentRecord();
        }
        catch (JsonException)
        {
            return new ConsentRecord();
        }
    }

    /// <summary>Writes atomically (temporary file, then rename) so a crash leaves the old or the new answer, never half.</summary>
    public void Save(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, path, overwrite: true);
    }
}
