using System.Diagnostics;

namespace Candor.Tests.Packaging;

/// <summary>
/// Candor.Client packed into a fresh local folder feed, once per test class, from the build the tests
/// run on (<c>--no-build</c>: seconds, not a second compile). The version is unique per run, so no
/// NuGet cache can hand back an older package under the same number.
/// </summary>
public sealed class PackedFeed : IDisposable
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    public PackedFeed()
    {
        Version = $"0.0.1-test.{Guid.NewGuid():n}";
        Pack = Run(RepositoryRoot, TimeSpan.FromMinutes(2), null,
            "pack", "src/Candor.Client", "-c", Configuration, "--no-build", "-o", Feed, $"-p:Version={Version}", "-p:IncludeSymbols=false");
    }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("candor-feed-").FullName;
    public string Feed => Path.Combine(Directory, "feed");
    public string Version { get; }
    public (int Exit, string Output) Pack { get; }

    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Candor.slnx")))
                return dir.FullName;
        throw new InvalidOperationException("The repository root (Candor.slnx) was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs <c>dotnet</c> with a bounded wait; build servers are not left running after it.</summary>
    public static (int Exit, string Output) Run(string workingDirectory, TimeSpan timeout, IDictionary<string, string?>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (args[0] is "pack" or "build")
        {
            info.ArgumentList.Add("--disable-build-servers");
            info.ArgumentList.Add("-nologo");
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                info.Environment.Remove(name); // a variable the child must not inherit
            else
                info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish within {timeout}:\n{stdout.Result}{stderr.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}
