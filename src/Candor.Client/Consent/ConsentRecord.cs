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
    /// <summary>The user's answer; <see cref="ConsentState.Unset"/> until they give one.</summary>
    public ConsentState State { get; init; } = ConsentState.Unset;

    /// <summary>Registry version the user answered for.</summary>
    public int RegistryVersion { get; init; }

    /// <summary>Categories the user was shown when answering; categories added later stay off until asked.</summary>
    public string[] KnownCategories { get; init; } = [];
    /// <summary>Metrics the user was shown when answering; metrics added later stay off until asked.</summary>
    public string[] KnownMetrics { get; init; } = [];
    /// <summary>Categories the user switched off: none of their metrics is recorded or sent.</summary>
    public string[] DisabledCategories { get; init; } = [];
    /// <summary>Single metrics the user switched off.</summary>
    public string[] DisabledMetrics { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The record's file name in the data directory.</summary>
    public const string FileName = "consent.json";

    /// <summary>Reads the record; a missing file is unset. A damaged file is also unset: never granted by accident.</summary>
    public static ConsentRecord Load(string dataDirectory) => Parse(ReadText(dataDirectory));

    /// <summary>The file's text, or null when there is none (or it cannot be read right now).</summary>
    public static string? ReadText(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Reads a record from its JSON text; null, or a damaged text, is an unset record (never granted by accident).</summary>
    public static ConsentRecord Parse(string? text)
    {
        if (text is null)
            return new ConsentRecord();
        try
        {
            return JsonSerializer.Deserialize<ConsentRecord>(text, Json) ?? new ConsentRecord();
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
