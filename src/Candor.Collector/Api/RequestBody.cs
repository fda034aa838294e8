using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Candor.Collector.Api;

/// <summary>
/// Reads a JSON request body under two bounds: the bytes on the wire and, for
/// <c>Content-Encoding: gzip</c>, the bytes after decoding (a small gzip can expand a thousandfold).
/// The buffer is pooled; dispose the result to return it.
/// </summary>
public sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public void Dispose()
    {
        if (_buffer is { } b)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    public enum Failure { None, UnsupportedMediaType, UnsupportedEncoding, TooLarge, DecodedTooLarge, BadGzip, Aborted }

    public static async Task<(RequestBody? Body, Failure Failure)> ReadJsonAsync(HttpRequest request, int maxBytes, int maxDecodedBytes, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
            return (null, Failure.UnsupportedMediaType);

        var encodings = request.Headers.ContentEncoding;
        bool gzip = false;
        if (encodings.Count > 1)
            return (null, Failure.UnsupportedEncoding);
        if (encodings.Count == 1)
        {
            var e = encodings[0]!.Trim();
            if (e.Equals("gzip", StringComparison.OrdinalIgnoreCase)) gzip = true;
            else if (!e.Equals("identity", StringComparison.OrdinalIgnoreCase)) return (null, Failure.UnsupportedEncoding);
        }

        return await ReadAsync(request, gzip, maxBytes, maxDecodedBytes, cancellationToken);
    }

    /// <summary>The body under the same two bounds, whatever its media type; <paramref name="gzip"/> says whether to decode it.</summary>
    public static async Task<(RequestBody? Body, Failure Failure)> ReadAsync(HttpRequest request, bool gzip, int maxBytes, int maxDecodedBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
            return (null, Failure.TooLarge);

        byte[] wire = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 4096, maxBytes) + 1);
        int length = 0;
        try
        {
            while (true)
            {
                if (length == wire.Length)
                {
                    if (length > maxBytes)
                        return (null, Failure.TooLarge);
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(wire.Length * 2, maxBytes + 1));
                    wire.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(wire);
                    wire = bigger;
                }
                int n = await request.Body.ReadAsync(wire.AsMemory(length), cancellationToken);
                if (n == 0) break;
                length += n;
                if (length > maxBytes)
                    return (null, Failure.TooLarge);
            }
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(wire);
            return (null, e is BadHttpRequestException { StatusCode: 413 } ? Failure.TooLarge : Failure.Aborted);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(wire);
            throw;
        }

        if (!gzip)
            return (new RequestBody(wire, length), Failure.None);

        try
        {
            return Gunzip(wire, length, maxDecodedBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(wire);
        }
    }

    private static (RequestBody?, Failure) Gunzip(byte[] wire, int length, int maxDecodedBytes)
    {
        byte[] decoded = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(length * 4, 4096), maxDecodedBytes + 1));
        int total = 0;
        try
        {
            using var gz = new GZipStream(new MemoryStream(wire, 0, length, writable: false), CompressionMode.Decompress);
            while (true)
            {
                if (total == decoded.Length)
                {
                    if (total > maxDecodedBytes)
                        return Fail(decoded, Failure.DecodedTooLarge);
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(decoded.Length * 2, maxDecodedBytes + 1));
                    decoded.AsSpan(0, total).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(decoded);
                    decoded = bigger;
                }
                int n = gz.Read(decoded, total, decoded.Length - total);
                if (n == 0) break;
                total += n;
                if (total > maxDecodedBytes)
                    return Fail(decoded, Failure.DecodedTooLarge);
            }
            if (!TrailerChecksOut(wire.AsSpan(0, length), decoded.AsSpan(0, total)))
                return Fail(decoded, Failure.BadGzip);
            return (new RequestBody(decoded, total), Failure.None);
        }
        catch (InvalidDataException)
        {
            return Fail(decoded, Failure.BadGzip);
        }
    }

    /// <summary>
    /// GZipStream stops quietly at the end of its input: a body cut anywhere in its 8-byte trailer (or
    /// just after the last deflate block) decodes to complete-looking JSON without the CRC-32 ever being
    /// compared, so a truncated upload would be stored. The trailer is therefore checked here: its CRC-32
    /// and length (mod 2^32) must be those of the decoded bytes. Only one gzip member is accepted (what
    /// every gzip encoder of a request body writes); a body of several members fails this check.
    /// </summary>
    private static bool TrailerChecksOut(ReadOnlySpan<byte> wire, ReadOnlySpan<byte> decoded)
    {
        if (wire.Length < 18) // a 10-byte header and an 8-byte trailer at the least
            return false;
        var trailer = wire[^8..];
        return BinaryPrimitives.ReadUInt32LittleEndian(trailer) == Crc32.HashToUInt32(decoded)
            && BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) == unchecked((uint)decoded.Length);
    }

    private static (RequestBody?, Failure) Fail(byte[] buffer, Failure failure)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        return (null, failure);
    }

    private static bool IsJson(string? contentType)
    {
        // What clients send almost always; the full parse below allocates a header value and segments.
        if (string.Equals(contentType, "application/json", StringComparison.OrdinalIgnoreCase))
            return true;
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media))
            return false;
        if (!media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return false;
        var charset = media.Charset;
        return !charset.HasValue || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }
}
