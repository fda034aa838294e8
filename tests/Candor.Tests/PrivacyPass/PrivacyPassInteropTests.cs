using System.Buffers.Text;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.PrivacyPass;

/// <summary>
/// Candor against Cloudflare's @cloudflare/privacypass-ts from the npm registry (Interop/interop.mjs):
/// its client gets a token from Candor's issuer, the collector accepts that token once, and it verifies
/// a token Candor's client made. Agreement with an independent implementation, not just with ourselves.
/// </summary>
public sealed class PrivacyPassInteropTests
{
    private static string Folder([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Interop");

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Folder(), RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [NodeFact]
    public async Task Privacypass_ts_tokens_from_candors_issuer_are_accepted_once_and_candors_tokens_verify_there()
    {
        var install = await RunAsync("/usr/bin/env", "bash", Path.Combine(Folder(), "install.sh"));
        Assert.True(install.Code == 0, "npm install failed: " + install.Stderr);

        await using var host = await TokenKit.StartAsync();
        var candorToken = await TokenKit.FetchAsync(host.Client);
        var run = await RunAsync("/usr/bin/env", "node", "interop.mjs", host.BaseAddress.ToString().TrimEnd('/'), TestRegistries.App,
            Base64Url.EncodeToString(candorToken.Encode()));
        Assert.True(run.Code == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout.Trim().Split('\n')[^1]);
        var r = json.RootElement;
        Assert.False(r.TryGetProperty("error", out var error), error.ToString());
        Assert.Equal(401, r.GetProperty("without_token_status").GetInt32());
        Assert.Equal(host.Options.PrivacyPass.IssuerName, r.GetProperty("challenge_issuer").GetString());
        Assert.True(r.GetProperty("directory_key_matches_challenge_key").GetBoolean());
        Assert.Equal(200, r.GetProperty("issuance_status").GetInt32());
        Assert.True(r.GetProperty("finalized").GetBoolean());
        Assert.Equal(202, r.GetProperty("with_token_status").GetInt32());
        Assert.Equal(403, r.GetProperty("same_token_again_status").GetInt32());
        Assert.True(r.GetProperty("candor_token_verifies").GetBoolean());
        Assert.False(r.GetProperty("damaged_candor_token_verifies").GetBoolean());
        Assert.Equal(1, (await host.Store.ReadRawAsync(TestRegistries.App)).Sum(x => x.Reports));
    }
}
