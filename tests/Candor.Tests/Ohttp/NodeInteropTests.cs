using System.Diagnostics;
using System.Runtime.CompilerServices;
using Candor.Hpke;
using Candor.Ohttp;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Ohttp;

/// <summary>
/// Interoperability with an independent HPKE implementation from the npm registry (@hpke/core with
/// @hpke/dhkem-x25519): Candor's gateway code opens what that client sealed and the other way round.
/// Passing the RFC vectors shows conformance; this shows two implementations agree on fresh keys.
/// </summary>
public sealed class NodeInteropTests
{
    private static string Folder([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Interop");

    [NodeFact]
    public async Task An_hpke_js_client_and_candor_open_each_others_messages()
    {
        var folder = Folder();
        await NodePackages.InstallAsync(folder);

        var gatewayKey = OhttpGatewayKey.Generate(3, KemId.X25519Sha256);
        var start = new ProcessStartInfo("node", [Path.Combine(folder, "ohttp-client.mjs")])
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            async Task<byte[]> ReadAsync() => Convert.FromHexString((await node.StandardOutput.ReadLineAsync(timeout.Token))
                ?? throw new InvalidOperationException("node stopped: " + await node.StandardError.ReadToEndAsync()));
            async Task WriteAsync(byte[] bytes) => await node.StandardInput.WriteLineAsync(Convert.ToHexStringLower(bytes));

            // Node as the client, Candor as the gateway.
            var request = new BinaryHttpRequest { Method = "POST", Authority = "collector.example", Path = "/v1/apps/org.example.editor/reports", Content = "{\"canary\":1}"u8.ToArray() };
            await WriteAsync(gatewayKey.Config.Encode());
            await WriteAsync(request.Encode());
            var opened = gatewayKey.Decapsulate(await ReadAsync());
            var seen = BinaryHttpRequest.Decode(opened.BinaryHttpRequest);
            Assert.Equal(("POST", "/v1/apps/org.example.editor/reports"), (seen.Method, seen.Path));
            Assert.Equal(request.Content, seen.Content);
            var response = new BinaryHttpResponse { Status = 202, Content = "{\"accepted\":1}"u8.ToArray() };
            await WriteAsync(opened.SealResponse(response.Encode()));
            Assert.Equal(response.Encode(), await ReadAsync());

            // Candor as the client, Node as the gateway.
            var nodeConfig = OhttpKeyConfig.Parse(await ReadAsync());
            var outgoing = ObliviousRequest.Encapsulate(nodeConfig, request.Encode());
            await WriteAsync(outgoing.Encapsulated);
            Assert.Equal(request.Encode(), await ReadAsync());
            await WriteAsync(response.Encode());
            Assert.Equal(response.Encode(), outgoing.OpenResponse(await ReadAsync()));
            node.StandardInput.Close();
            await node.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, node.ExitCode);
        }
        finally
        {
            if (!node.HasExited)
                node.Kill();
        }
    }
}
