using System.Diagnostics;

namespace Candor.Tests.Infrastructure;

/// <summary>
/// Installs an interop test's pinned npm packages into the test's own folder by running its
/// <c>install.sh</c> (<c>npm ci</c> against the committed lock file). A failed install fails the test
/// with npm's own message, never skips it.
/// </summary>
internal static class NodePackages
{
    public static async Task InstallAsync(string folder)
    {
        var script = Path.Combine(folder, "install.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script]) { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"bash {script} failed: {await error}");
    }
}
