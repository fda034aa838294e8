using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Candor.Ohttp;

namespace Candor.Cli.Relay;

/// <summary>
/// Forwards sealed requests to the one gateway over pooled keep-alive HTTP/1.1 connections
/// (<see cref="GatewayConnection"/>), instead of through <c>HttpClient</c>: the relay sends one request
/// shape to one address, and a request message, its header collections, content and the response's
/// header parsing per forward were a quarter of the relay's CPU (docs/benchmarks.md). What goes out is
/// exactly what the allowlist says (<see cref="RelayHeaderAllowlist"/>): Host, Content-Type and
/// Content-Length, prepared once. Bounded by <see cref="RelayOptions.GatewayTimeout"/> like every
/// exchange, counted and logged by the <see cref="GatewayWatch"/> as the client's path was.
/// A request that failed before any answer byte on a connection taken from the pool (the gateway closed
/// it while idle) is sent again on the next pooled or a fresh connection, as HttpClient does; a failure
/// on a fresh connection is never retried (the gateway may have processed the request).
/// </summary>
/// <param name="certificateCheck">Null (the system's trust store, as HttpClient): only tests pin their own certificate.</param>
internal sealed class GatewayForwarder(RelayOptions options, GatewayWatch watch, RemoteCertificateValidationCallback? certificateCheck = null) : IAsyncDisposable
{
    /// <summary>Idle connections older than this are closed rather than reused: gateways and proxies close idle ones after 60 s or more.</summary>
    private const long IdleMilliseconds = 30_000;

    private readonly ConcurrentStack<GatewayConnection> _idle = new();
    private readonly byte[] _head = Encoding.ASCII.GetBytes(
        $"POST {options.Gateway!.PathAndQuery} HTTP/1.1\r\nHost: {HostHeader(options.Gateway)}\r\nContent-Type: {OhttpMediaTypes.Request}\r\nContent-Length: ");
    private bool _disposed;

    /// <summary>The gateway's answer: status, media type as sent, bytes. Throws HttpRequestException (unreachable) or TaskCanceledException (GatewayTimeout), both counted.</summary>
    public async Task<(int Status, string? MediaType, byte[] Body)> ForwardAsync(byte[] body, CancellationToken clientAborted)
    {
        long start = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        timeout.CancelAfter(options.GatewayTimeout);
        try
        {
            var answer = await ExchangeAsync(body, timeout.Token);
            watch.CountAnswer("report", answer.Status, start);
            return answer;
        }
        catch (OperationCanceledException e) when (!clientAborted.IsCancellationRequested)
        {
            throw watch.CountTimeout("report", options.GatewayTimeout, start, e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or AuthenticationException)
        {
            // AuthenticationException: a gateway certificate the system does not trust is a gateway the relay cannot reach.
            throw watch.CountUnreachable("report", start, e as HttpRequestException ?? new HttpRequestException(e.Message, e));
        }
    }

    private async Task<(int Status, string? MediaType, byte[] Body)> ExchangeAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (connection, reused) = await RentAsync(cancellationToken);
            try
            {
                var (status, mediaType, bytes, keepAlive) = await connection.ExchangeAsync(_head, body, cancellationToken);
                if (keepAlive && !_disposed)
                    _idle.Push(connection);
                else
                    await connection.DisposeAsync();
                return (status, mediaType, bytes);
            }
            catch (Exception e) when (reused && !connection.AnswerStarted && e is HttpRequestException or IOException or SocketException && !cancellationToken.IsCancellationRequested)
            {
                await connection.DisposeAsync(); // closed by the gateway while idle: try a fresh one
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
    }

    private async ValueTask<(GatewayConnection, bool Reused)> RentAsync(CancellationToken cancellationToken)
    {
        while (_idle.TryPop(out var idle))
        {
            if (Environment.TickCount64 - idle.IdleSince < IdleMilliseconds)
                return (idle, true);
            await idle.DisposeAsync();
        }
        return (await GatewayConnection.OpenAsync(options.Gateway!, certificateCheck, cancellationToken), false);
    }

    /// <summary>The Host header: the IDN (punycode) name, or an IPv6 literal in brackets (IdnHost drops them, and "::1:8080" is no host).</summary>
    private static string HostHeader(Uri gateway)
    {
        var host = gateway.HostNameType == UriHostNameType.IPv6 ? gateway.Host : gateway.IdnHost;
        return gateway.IsDefaultPort ? host : $"{host}:{gateway.Port}";
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryPop(out var idle))
            await idle.DisposeAsync();
    }
}
