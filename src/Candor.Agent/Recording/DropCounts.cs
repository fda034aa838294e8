using System.Text.Json;

namespace Candor.Agent.Recording;

/// <summary>
/// How many events were dropped on the device, by reason: local only, never sent, shown to the user
/// ("dropped: unmapped 3"). Kept in the agent's data directory so the count survives a restart; erased
/// with everything else when consent is withdrawn, and never written before consent (the caller checks).
/// Only counts are kept: a list of unmapped UUIDs would show which applications run on the machine.
/// </summary>
public sealed class DropCounts
{
    private readonly string _path;
    private readonly Lock _lock = new();
    private readonly Dictionary<DropReason, long> _counts = new();

    public DropCounts(string dataDirectory)
    {
        _path = Path.Combine(dataDirectory, "agent-dropped.json");
        try
        {
            if (File.Exists(_path) && JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(_path)) is { } saved)
                foreach (var (name, count) in saved)
                    if (Enum.TryParse<DropReason>(name, out var reason) && count > 0)
                        _counts[reason] = count;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            // A damaged count file is not worth refusing to start for: the counts restart at zero.
        }
    }

    public long this[DropReason reason] { get { lock (_lock) return _counts.GetValueOrDefault(reason); } }

    public void Add(DropReason reason)
    {
        lock (_lock)
        {
            _counts[reason] = _counts.GetValueOrDefault(reason) + 1;
            Save();
        }
    }

    public void Erase()
    {
        lock (_lock)
        {
            _counts.Clear();
            File.Delete(_path);
        }
    }

    /// <summary>"dropped: unmapped 3, disallowed payload 1, wrong kind 0".</summary>
    public string Summary()
    {
        lock (_lock)
            return "dropped: " + string.Join(", ", Enum.GetValues<DropReason>().Select(r => $"{Words(r)} {_counts.GetValueOrDefault(r)}"));
    }

    public IReadOnlyDictionary<string, long> Snapshot()
    {
        lock (_lock)
            return Enum.GetValues<DropReason>().ToDictionary(Words, r => _counts.GetValueOrDefault(r));
    }

    private static string Words(DropReason reason) => reason switch
    {
        DropReason.Unmapped => "unmapped",
        DropReason.DisallowedPayload => "disallowed payload",
        _ => "wrong kind",
    };

    private void Save()
    {
        var tmp = _path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(_counts.ToDictionary(p => p.Key.ToString(), p => p.Value)));
        File.Move(tmp, _path, overwrite: true);
    }
}
