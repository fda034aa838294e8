namespace Candor.Tests.Infrastructure;

/// <summary>
/// A test that drives Debian's Chromium (apt package <c>chromium</c>). Without it the test is skipped
/// with a reason on a developer machine, but in CI (CI=true) it runs, and fails, so a missing browser
/// can never pass silently there.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ExecutablePath) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = $"{ExecutablePath} not found: apt-get install chromium (CI installs it and never skips this test)";
    }
}
