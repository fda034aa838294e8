namespace Candor.Tests.Infrastructure;

/// <summary>
/// A test that runs Prometheus's promtool (apt package <c>prometheus</c>). Without it the test is skipped with a reason
/// on a developer machine, but in CI (CI=true) it runs, and fails, so a missing tool can never pass
/// silently there.
/// </summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public const string ExecutablePath = "/usr/bin/promtool";

    public PromtoolFactAttribute()
    {
        if (!File.Exists(ExecutablePath) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = $"{ExecutablePath} not found: apt-get install prometheus (CI installs it and never skips this test)";
    }
}
