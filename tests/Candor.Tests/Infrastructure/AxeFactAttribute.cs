namespace Candor.Tests.Infrastructure;

/// <summary>
/// A test that drives Debian's Chromium and checks pages with axe-core, installed from the npm registry
/// by the test itself (tests/Candor.Tests/Dashboard/Axe/install.sh). Without Chromium or npm it is
/// skipped with a reason on a developer machine; in CI (CI=true) it runs, and fails, so an
/// accessibility check can never pass by not running.
/// </summary>
public sealed class AxeFactAttribute : FactAttribute
{
    public AxeFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") == "true")
            return;
        if (!File.Exists(ChromiumFactAttribute.ExecutablePath))
            Skip = $"{ChromiumFactAttribute.ExecutablePath} not found: apt-get install chromium (CI installs it and never skips this test)";
        else if (!OnPath("npm"))
            Skip = "npm not found: apt-get install npm (CI installs it and never skips this test)";
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, tool)));
}
