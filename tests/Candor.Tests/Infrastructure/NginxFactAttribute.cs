namespace Candor.Tests.Infrastructure;

/// <summary>
/// A test that runs Debian's nginx (apt package <c>nginx</c>) as a real reverse proxy on loopback.
/// Without it the test is skipped with a reason on a developer machine, but in CI (CI=true) it runs,
/// and fails, so a missing proxy can never pass silently there.
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
