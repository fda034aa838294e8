using System.Buffers;
using System.Buffers.Text;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Candor.Cli.Relay;

/// <summary>
/// One keep-alive HTTP/1.1 connection to the gateway, used by one forward at a time
/// (<see cref="GatewayForwarder"/>): writes a sealed request with exactly three headers (Host,
/// Content-Type, Content-Length, the allowlist of <see cref="RelayHeaderAllowlist"/>) and reads the
/// answer's status, media type and body, framed by Content-Length, chunked, or by the connection's end.
/// Anything else in the gateway's answer is read past and never kept.
/// </summary>
internal sealed class GatewayConnection : IAsyncDisposable
{
    private const int HeaderLimit = 16 * 1024, BodyLimit = 16 * 1024 * 1024;
    private static readonly byte[] EndOfHeaders = "\r\n\r\n"u8.ToArray();

    private readonly Stream _stream;
    private byte[] _buffer = new byte[4096];
    private int _start, _end;

    private GatewayConnection(Stream stream) => _stream = stream;

    /// <summary>When it last finished an exchange (Environment.TickCount64): an idle connection the gateway may have closed is not reused.</summary>
    public long IdleSince { get; private set; }

    /// <summary>True once the answer was received on this connection: a failure before that on a reused connection can be retried.</summary>
    public bool AnswerStarted { get; private set; }

    public static async Task<GatewayConnection> OpenAsync(Uri gateway, RemoteCertificateValidationCallback? certificateCheck, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(gateway.HostNameType == UriHostNameType.IPv6 ? gateway.DnsSafeHost : gateway.IdnHost, gateway.Port, cancellationToken);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (gateway.Scheme == Uri.UriSchemeHttps)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = gateway.IdnHost,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                    RemoteCertificateValidationCallback = certificateCheck,
                }, cancellationToken);
            }
            return new GatewayConnection(stream);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends the request head (prepared once per gateway) and the body in one write, then reads the
    /// answer; <c>KeepAlive</c> is false when the connection must not be reused.
    /// </summary>
    public async Task<(int Status, string? MediaType, byte[] Body, bool KeepAlive)> ExchangeAsync(byte[] head, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        AnswerStarted = false;
        var request = ArrayPool<byte>.Shared.Rent(head.Length + 16 + body.Length);
        try
        {
            head.CopyTo(request, 0);
            int n = head.Length;
            Utf8Formatter.TryFormat(body.Length, request.AsSpan(n), out int digits);
            n += digits;
            "\r\n\r\n"u8.CopyTo(request.AsSpan(n));
            n += 4;
            body.Span.CopyTo(request.AsSpan(n));
            n += body.Length;
            await _stream.WriteAsync(request.AsMemory(0, n), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
        }

        while (true)
        {
            int headEnd = await ReadHeadAsync(cancellationToken);
            var answer = ParseHead(_buffer.AsSpan(_start, headEnd - _start));
            _start = headEnd + EndOfHeaders.Length;
            if (answer.Status is >= 100 and < 200)
                continue; // an interim answer (103 Early Hints): the real one follows
            byte[] bytes;
            bool keepAlive = !answer.Close;
            if (answer.Status is 204 or 304)
                bytes = []; // no body by definition (RFC 9112, section 6.3), whatever the headers say
            else if (answer.Chunked)
                bytes = await ReadChunkedAsync(cancellationToken);
            else if (answer.Length is { } length)
                bytes = length <= BodyLimit ? await ReadExactlyAsync((int)length, cancellationToken) : throw Broken("an answer longer than 16 MiB");
            else
            {
                bytes = await ReadToEndAsync(cancellationToken);
                keepAlive = false;
            }
            // Bytes beyond the answer would be read as the next request's answer: never reuse such a connection.
            keepAlive &= _start == _end;
            _start = _end = 0;
            IdleSince = Environment.TickCount64;
            return (answer.Status, answer.MediaType, bytes, keepAlive);
        }
    }

    private readonly record struct Head(int Status, string? MediaType, long? Length, bool Chunked, bool Close);

    private static Head ParseHead(ReadOnlySpan<byte> head)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = lineEnd < 0 ? head : head[..lineEnd];
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out int used) || used != 3 || status < 100)
            throw Broken("a malformed status line");
        string? mediaType = null;
        long? length = null;
        bool chunked = false, close = statusLine[7] == (byte)'0'; // HTTP/1.0 closes unless told otherwise; not worth keeping
        var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
                throw Broken("a malformed header line");
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long l, out int n) || n != value.Length || l < 0 || (length is { } seen && seen != l))
                    throw Broken("an invalid Content-Length");
                length = l;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
                chunked = value.Length >= 7 && Ascii.EqualsIgnoreCase(value[^7..], "chunked"u8);
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
                close |= ContainsIgnoreCase(value, "close"u8);
            else if (Ascii.EqualsIgnoreCase(name, "Content-Type"u8))
            {
                int semicolon = value.IndexOf((byte)';');
                mediaType = Encoding.ASCII.GetString((semicolon < 0 ? value : value[..semicolon]).Trim(" \t"u8)).ToLowerInvariant();
            }
        }
        return new Head(status, mediaType, chunked ? null : length, chunked, close);
    }

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> word)
    {
        for (int i = 0; i + word.Length <= value.Length; i++)
            if (Ascii.EqualsIgnoreCase(value.Slice(i, word.Length), word))
                return true;
        return false;
    }

    /// <summary>Reads until the buffer holds a whole head; returns where its blank line starts.</summary>
    private async ValueTask<int> ReadHeadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int at = _buffer.AsSpan(_start, _end - _start).IndexOf(EndOfHeaders);
            if (at >= 0)
                return _start + at;
            if (_end - _start >= HeaderLimit)
                throw Broken("an answer head over 16 KiB");
            if (!await FillAsync(cancellationToken))
                throw Broken(AnswerStarted ? "the connection closed inside the answer's head" : "the connection closed before an answer");
        }
    }

    /// <summary>Reads more bytes after those buffered; false at the connection's end.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0 && _start == _end)
            _start = _end = 0;
        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                (_start, _end) = (0, _end - _start);
            }
            else
                Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        AnswerStarted |= read > 0;
        return read > 0;
    }

    private async ValueTask<byte[]> ReadExactlyAsync(int length, CancellationToken cancellationToken)
    {
        var body = new byte[length];
        int have = Math.Min(length, _end - _start);
        _buffer.AsSpan(_start, have).CopyTo(body);
        _start += have;
        if (have < length)
            await _stream.ReadExactlyAsync(body.AsMemory(have), cancellationToken);
        return body;
    }

    private async ValueTask<byte[]> ReadToEndAsync(CancellationToken cancellationToken)
    {
        while (await FillAsync(cancellationToken))
            if (_end - _start > BodyLimit)
                throw Broken("an answer longer than 16 MiB");
        var body = _buffer.AsSpan(_start, _end - _start).ToArray();
        _start = _end;
        return body;
    }

    private async ValueTask<byte[]> ReadChunkedAsync(CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        while (true)
        {
            int lineEnd;
            while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
                if (_end - _start > 1024 || !await FillAsync(cancellationToken))
                    throw Broken("a malformed chunk");
            var line = _buffer.AsSpan(_start, lineEnd);
            int extension = line.IndexOf((byte)';');
            if (extension >= 0)
                line = line[..extension];
            if (!Utf8Parser.TryParse(line.Trim(" \t"u8), out long size, out int used, 'X') || used != line.Trim(" \t"u8).Length || size < 0)
                throw Broken("a malformed chunk size");
            _start += lineEnd + 2;
            if (body.Length + size > BodyLimit)
                throw Broken("an answer longer than 16 MiB");
            if (size == 0)
            {
                // Trailers, if any, up to the blank line: read past, never kept.
                while (true)
                {
                    while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
                        if (_end - _start > HeaderLimit || !await FillAsync(cancellationToken))
                            throw Broken("a malformed chunked trailer");
                    _start += lineEnd + 2;
                    if (lineEnd == 0)
                        return body.ToArray();
                }
            }
            while (_end - _start < size + 2)
                if (!await FillAsync(cancellationToken))
                    throw Broken("the connection closed inside a chunk");
            body.Write(_buffer, _start, (int)size);
            if (_buffer[_start + (int)size] != (byte)'\r' || _buffer[_start + (int)size + 1] != (byte)'\n')
                throw Broken("a malformed chunk end");
            _start += (int)size + 2;
        }
    }

    private static HttpRequestException Broken(string what) =>
        new($"The gateway sent {what}.");

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
