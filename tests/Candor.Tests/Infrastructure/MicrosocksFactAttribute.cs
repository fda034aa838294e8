namespace Candor.Tests.Infrastructure;

/// <summary>
/// A test that runs Debian's microsocks (apt package <c>microsocks</c>) as a real SOCKS5 server on
/// loopback. Without it the test is skipped with a reason on a developer machine, but in CI (CI=true)
/// it runs, and fails, so a missing proxy can never pass silently there.
/// </summary>
public sealed class MicrosocksFactAttribute : FactAttribute
{
    public const string ExecutablePath = "/usr/bin/microsocks";

    public MicrosocksFactAttribute()
    {
        if (!File.Exists(ExecutablePath) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = $"{ExecutablePath} not found: apt-get install microsocks (CI installs it and never skips this test)";
    }
}
