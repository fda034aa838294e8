namespace Candor.Tests.Infrastructure;

/// <summary>
/// A test that runs nginx (apt package <c>nginx</c>). Without it the test is skipped with a reason
/// on a developer machine, but in CI (CI=true) it runs, and fails, so a missing tool can never pass
/// silently there.
/// </summary>
public sealed class NginxFactAttribute : FactAttribute
{
    public const string ExecutablePath = "/usr/sbin/nginx";

    public NginxFactAttribute()
    {
        if (!File.Exists(ExecutablePath) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = $"{ExecutablePath} not found: apt-get install nginx (CI installs it and never skips this test)";
    }
}
