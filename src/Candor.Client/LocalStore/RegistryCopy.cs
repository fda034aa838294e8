using Candor.Registry;

namespace Candor.Client.LocalStore;

/// <summary>
/// The registry the client last ran with, as YAML beside the local store (<see cref="FileName"/>), so
/// that <c>candor client ... --data-dir DIR</c> can show and control the data of an app that embeds its
/// registry (as a resource or through the generator) without the user hunting for the file. It is the
/// public registry, nothing about the user. Best effort: a read-only folder only costs the convenience.
/// </summary>
internal static class RegistryCopy
{
    public const string FileName = "registry.yaml";

    public static void Write(string dataDirectory, MetricRegistry registry, Action<string> log)
    {
        if (registry.SourceText is not { } yaml)
            return;
        string path = Path.Combine(dataDirectory, FileName);
        try
        {
            if (File.Exists(path) && File.ReadAllText(path) == yaml)
                return;
            string temporary = path + ".tmp";
            File.WriteAllText(temporary, yaml);
            File.Move(temporary, path, overwrite: true); // never a half-written registry for the CLI to misread
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log($"Could not keep a copy of the registry in {FileName}: {e.Message}");
        }
    }
}
