using System.Text.Json;

namespace Candor.Client.Consent;

/// <summary>
/// A machine-wide policy an administrator can install to switch Candor off for every user and every
/// application. It can only forbid: <c>{ "enabled": false }</c>. It wins over everything, even a user's yes.
/// </summary>
internal static class MachinePolicy
{
    public const string PathVariable = "CANDOR_POLICY_FILE";

    /// <summary>The platform default: <c>/etc/candor/policy.json</c>, <c>%ProgramData%\Candor\policy.json</c>, <c>/Library/Application Support/Candor/policy.json</c>.</summary>
    public static string DefaultPath =>
        OperatingSystem.IsWindows() ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "Candor", "policy.json")
        : OperatingSystem.IsMacOS() ? "/Library/Application Support/Candor/policy.json"
        : "/etc/candor/policy.json";

    public static string ResolvePath(string? configured, Func<string, string?> environment) =>
        configured ?? (environment(PathVariable) is { Length: > 0 } p ? p : DefaultPath);

    /// <summary>Null when the policy allows Candor; otherwise the reason it forbids it.</summary>
    public static string? Forbids(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("enabled", out var enabled))
            {
                if (enabled.ValueKind == JsonValueKind.True)
                    return null;
                if (enabled.ValueKind == JsonValueKind.False)
                    return $"disabled by the machine policy {path}";
            }
            // An administrator who wrote a policy meant something: an unreadable one fails closed.
            return $"the machine policy {path} does not say \"enabled\": true or false; treated as disabled";
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return $"the machine policy {path} cannot be read ({e.Message}); treated as disabled";
        }
    }
}
