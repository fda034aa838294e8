using System.Diagnostics;
using System.Text;

namespace Candor.Tests.Infrastructure;

/// <summary>Runs the real <c>candor</c> tool (the built candor.dll) as a separate process.</summary>
public sealed class CandorProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new(), _stderr = new();

    private CandorProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
    public bool HasExited => _process.HasExited;

    public static CandorProcess Start(string workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    public static CandorProcess Start(string workingDirectory, IDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "candor.dll"));
        // Tests run many collectors at once: each gets its own free operator port unless the test names one.
        info.Environment["CANDOR_OperatorUrls__0"] = "http://127.0.0.1:0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        foreach (var a in args) info.ArgumentList.Add(a);
        return new CandorProcess(Process.Start(info)!);
    }

    /// <summary>Runs to the end (bounded by <paramref name="timeout"/>) and returns the exit code.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string workingDirectory, params string[] args)
    {
        using var p = Start(workingDirectory, args);
        int exit = await p.WaitAsync(TimeSpan.FromSeconds(60));
        return (exit, p.Stdout, p.Stderr);
    }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // flushes the asynchronous output readers
        return _process.ExitCode;
    }

    /// <summary>Polls <c>/healthz</c> until a <c>candor serve</c> answers (at most 30 s), failing early if it exits.</summary>
    public async Task WaitUntilHealthyAsync(HttpClient http)
    {
        for (int i = 0; i < 300; i++)
        {
            Assert.False(HasExited, "candor serve exited: " + Stderr);
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        Assert.Fail("candor serve did not become healthy in 30 s: " + Stderr);
    }

    /// <summary>SIGKILL, as <c>kill -9</c>: no shutdown hooks, no flushing, then waits for the process to be gone.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
