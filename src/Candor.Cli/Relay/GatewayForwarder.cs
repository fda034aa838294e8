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
internal sealed class GatewayForwarder : IAsyncDisposable
{
    private readonly RelayOptions _options;
    private readonly GatewayWatch _watch;
    private readonly RemoteCertificateValidationCallback? _certificateCheck;
    private readonly long _idleMilliseconds;
    private readonly ConcurrentStack<GatewayConnection> _idle = new();
    private readonly byte[] _head;
    private readonly ITimer _sweep;
    private bool _disposed;

    /// <param name="certificateCheck">Null (the system's trust store, as HttpClient): only tests pin their own certificate.</param>
    public GatewayForwarder(RelayOptions options, GatewayWatch watch, RemoteCertificateValidationCallback? certificateCheck = null)
    {
        _options = options;
        _watch = watch;
        _certificateCheck = certificateCheck;
        _idleMilliseconds = (long)options.GatewayIdleTimeout.TotalMilliseconds;
        _head = Encoding.ASCII.GetBytes(
            $"POST {options.Gateway!.PathAndQuery} HTTP/1.1\r\nHost: {HostHeader(options.Gateway)}\r\nContent-Type: {OhttpMediaTypes.Request}\r\nContent-Length: ");
        // The pool is a stack, so after a burst the connections below the ones in use are never reached again:
        // without this they stayed open (half-closed once the gateway gave up on them) until the relay stopped.
        _sweep = TimeProvider.System.CreateTimer(_ => _ = SweepAsync(), null, options.GatewayIdleTimeout, options.GatewayIdleTimeout);
    }

    /// <summary>The gateway's answer: status, media type as sent, bytes. Throws HttpRequestException (unreachable) or TaskCanceledException (GatewayTimeout), both counted.</summary>
    public async Task<(int Status, string? MediaType, byte[] Body)> ForwardAsync(byte[] body, CancellationToken clientAborted)
    {
        long start = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        timeout.CancelAfter(_options.GatewayTimeout);
        try
        {
            var answer = await ExchangeAsync(body, timeout.Token);
            _watch.CountAnswer("report", answer.Status, start);
            return answer;
        }
        catch (OperationCanceledException e) when (!clientAborted.IsCancellationRequested)
        {
            throw _watch.CountTimeout("report", _options.GatewayTimeout, start, e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or AuthenticationException)
        {
            // AuthenticationException: a gateway certificate the system does not trust is a gateway the relay cannot reach.
            throw _watch.CountUnreachable("report", start, e as HttpRequestException ?? new HttpRequestException(e.Message, e));
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
            if (Environment.TickCount64 - idle.IdleSince < _idleMilliseconds)
                return (idle, true);
            await idle.DisposeAsync();
        }
        return (await GatewayConnection.OpenAsync(_options.Gateway!, _certificateCheck, cancellationToken), false);
    }

    /// <summary>The Host header: the IDN (punycode) name, or an IPv6 literal in brackets (IdnHost drops them, and "::1:8080" is no host).</summary>
    private static string HostHeader(Uri gateway)
    {
        var host = gateway.HostNameType == UriHostNameType.IPv6 ? gateway.Host : gateway.IdnHost;
        return gateway.IsDefaultPort ? host : $"{host}:{gateway.Port}";
    }

    /// <summary>Closes the pool's connections idle for longer than <see cref="RelayOptions.GatewayIdleTimeout"/>, keeping the others in their order.</summary>
    private async Task SweepAsync()
    {
        long now = Environment.TickCount64;
        if (_disposed || !_idle.ToArray().Any(c => now - c.IdleSince >= _idleMilliseconds))
            return; // the usual case: a snapshot, nothing taken out of the pool
        var taken = new List<GatewayConnection>();
        while (_idle.TryPop(out var connection))
            taken.Add(connection);
        // Back in the order they were (the most recently used on top); requests meanwhile opened fresh ones or took these.
        for (int i = taken.Count - 1; i >= 0; i--)
        {
            if (now - taken[i].IdleSince < _idleMilliseconds && !_disposed)
                _idle.Push(taken[i]);
            else
                await taken[i].DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _sweep.DisposeAsync();
        while (_idle.TryPop(out var idle))
            await idle.DisposeAsync();
    }
}
