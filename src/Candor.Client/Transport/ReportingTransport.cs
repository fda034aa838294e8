using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Candor.Client.Transport;

/// <summary>How uploads and announcement fetches leave the device (MARS sends over Tor).</summary>
public enum TransportMode
{
    /// <summary>A direct connection: the collector sees the device's address.</summary>
    Direct,
    /// <summary>Through the SOCKS5 proxy when it answers; otherwise direct, and the switch is logged.</summary>
    TorIfAvailable,
    /// <summary>Through the SOCKS5 proxy or not at all: without it nothing is sent and batches wait.</summary>
    TorRequired,
}

/// <summary>Thrown instead of sending when <see cref="TransportMode.TorRequired"/> finds no proxy; retryable, so the batch is kept.</summary>
internal sealed class ProxyUnavailableException(string message) : HttpRequestException(message);

/// <summary>
/// Sends each request over its own connection through a SOCKS5 proxy, with fresh random proxy
/// credentials: Tor's IsolateSOCKSAuth then puts every upload on a separate circuit, so the exit
/// cannot link two uploads of one device. Only <c>socks5://</c> is accepted: the host name goes to the
/// proxy unresolved (SOCKS5 domain-name address type), where socks4 would resolve it locally and leak
/// the collector's name to the local DNS. A direct connection is only ever made in
/// <see cref="TransportMode.Direct"/>, or in <see cref="TransportMode.TorIfAvailable"/> with a log line.
/// </summary>
internal sealed class ReportingTransport : HttpMessageHandler
{
    public static readonly Uri DefaultTorProxy = new("socks5://127.0.0.1:9050");

    private readonly TransportMode _mode;
    private readonly Uri _proxy;
    private readonly Action<SocketsHttpHandler>? _configure;
    private readonly Action<string>? _log;

    /// <param name="configure">Adjusts each connection's handler (tests watch connections with a ConnectCallback).</param>
    /// <param name="log">Told whenever a request goes out directly although a proxy was wanted.</param>
    public ReportingTransport(TransportMode mode, Uri? proxy = null, Action<SocketsHttpHandler>? configure = null, Action<string>? log = null)
    {
        _proxy = proxy ?? DefaultTorProxy;
        if (_proxy.Scheme != "socks5")
            throw new ArgumentException($"Only socks5:// proxies are supported (the proxy must resolve host names); got {_proxy.Scheme}://.", nameof(proxy));
        _mode = mode;
        _configure = configure;
        _log = log;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        bool viaProxy = _mode switch
        {
            TransportMode.Direct => false,
            _ => await ProxyAnswersAsync(cancellationToken).ConfigureAwait(false),
        };
        if (!viaProxy && _mode == TransportMode.TorRequired)
            throw new ProxyUnavailableException($"Tor is required but no SOCKS5 proxy answers at {_proxy.Host}:{_proxy.Port}; nothing was sent.");
        if (!viaProxy && _mode == TransportMode.TorIfAvailable)
            _log?.Invoke($"No SOCKS5 proxy answers at {_proxy.Host}:{_proxy.Port}; sending directly (transport mode tor-if-available).");

        var handler = NoTraceContextHandler.NoPropagation(new SocketsHttpHandler { UseCookies = false, PooledConnectionLifetime = TimeSpan.Zero });
        if (viaProxy)
        {
            handler.UseProxy = true;
            handler.Proxy = new WebProxy(_proxy) { Credentials = new NetworkCredential(RandomToken(), RandomToken()) };
        }
        else
        {
            handler.UseProxy = false;
        }
        _configure?.Invoke(handler);
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        var response = await invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
        // The connection (and its circuit) is closed with the handler; keep the answer readable after that.
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        return response;
    }

    private async Task<bool> ProxyAnswersAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(_proxy.Host, _proxy.Port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static string RandomToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
