namespace Candor.Tests.Infrastructure;

/// <summary>
/// A test that runs Node.js scripts with packages from the npm registry. Without <c>node</c> and
/// <c>npm</c> on PATH the test is skipped with a reason on a developer machine, but in CI (CI=true) it
/// runs, and fails, so a missing interop check can never pass silently there.
/// </summary>
public sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        if ((Find("node") is null || Find("npm") is null) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "node/npm not found on PATH: install Node.js 18 or later (CI installs it and never skips this test)";
    }

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
