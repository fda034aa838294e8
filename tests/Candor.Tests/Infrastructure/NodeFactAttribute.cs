namespace Candor.Tests.Infrastructure;

/// <summary>
/// A test that runs Node.js (and npm, to install an independent implementation into the test's own
/// folder). Without node on PATH it is skipped with a reason on a developer machine, but in CI
/// (CI=true) it runs, and fails, so a missing interop check can never pass silently there.
/// </summary>
public sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        if (Find("node") is null && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "node not found on PATH: install Node.js 20 and npm (CI installs them and never skips this test)";
    }

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
