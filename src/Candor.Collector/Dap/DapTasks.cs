using Candor.Dap;

namespace Candor.Collector.Dap;

/// <summary>The tasks this collector serves as Leader or Helper, loaded once from the task file at start-up.</summary>
internal sealed class DapTasks
{
    private readonly Dictionary<string, DapTask> _byId;

    public DapTasks(IEnumerable<DapTask> tasks) => _byId = tasks.ToDictionary(t => t.IdText, StringComparer.Ordinal);

    public IEnumerable<DapTask> All => _byId.Values;

    /// <exception cref="FormatException">The file cannot be read or is not a valid task file; the message says where.</exception>
    public static DapTasks Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException(e.Message);
        }
        return new DapTasks(DapTaskFile.Parse(text));
    }

    /// <summary>The task for a base64url id in a path, if this aggregator has it in <paramref name="role"/>.</summary>
    public DapTask? Find(string id, DapRole role) => _byId.TryGetValue(id, out var t) && t.Role == role ? t : null;
}
