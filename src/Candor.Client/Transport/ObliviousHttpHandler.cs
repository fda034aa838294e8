using System.Net;
using System.Net.Http.Headers;
using Candor.Hpke;
using Candor.Ohttp;

namespace Candor.Client.Transport;

/// <summary>
/// The <c>ohttp</c> transport as an <see cref="HttpMessageHandler"/>: each request becomes Binary HTTP,
/// is sealed to the gateway's shipped key (a fresh HPKE context per request, so two requests share
/// nothing), and is POSTed to the relay through the inner handler (direct, or the SOCKS5/Tor
/// transport); the sealed answer is opened back into a normal response. Only the headers the
/// collector needs go inside the seal. Before first use, and again after each recheck interval, the
/// gateway's served configuration is fetched from the relay's shared cache (the consistency route) and
/// must be a set this device already trusts, by the rules of <see cref="GatewayKeyConsistency"/>, or
/// nothing is sent (<see cref="OhttpKeyMismatchException"/>, and a line in the device's log).
/// </summary>
public sealed class ObliviousHttpHandler : HttpMessageHandler
{
    // Authorization carries the Privacy Pass token: sealed with the request, so the relay never sees it.
    private static readonly HashSet<string> InnerHeaders = new(StringComparer.OrdinalIgnoreCase)
        { "content-type", "content-encoding", "idempotency-key", "accept", "authorization" };

    private readonly OhttpTransportOptions _options;
    private readonly HttpMessageInvoker _inner;
    private readonly IReadOnlyList<OhttpKeyConfig> _trusted;
    private readonly TimeProvider _time;
    private readonly Action<string>? _log;
    private readonly SemaphoreSlim _checkGate = new(1, 1);
    private OhttpKeyConfig? _checked;
    private DateTimeOffset _checkedUntil;

    /// <summary>A handler that seals every request to a trusted gateway key and sends it through the relay by <paramref name="inner"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> holds no usable key configuration.</exception>
    public ObliviousHttpHandler(OhttpTransportOptions options, HttpMessageHandler inner, bool disposeInner, TimeProvider? time = null, Action<string>? log = null)
    {
        _options = options;
        _trusted = options.Trusted();
        if (_trusted.Count == 0)
            throw new ArgumentException("OhttpTransportOptions.KeyConfigs holds no usable gateway key configuration (paste what 'candor ohttp keys' prints).", nameof(options));
        _inner = new HttpMessageInvoker(inner, disposeInner);
        _time = time ?? TimeProvider.System;
        _log = log;
    }

    /// <summary>
    /// Configurations the app's signed announcements vouch for (fetched through the relay), trusted beside
    /// the shipped ones by the key check, so a gateway key rotation needs no app release. Used only when
    /// the check finds the gateway serving them (to everyone, through the relay).
    /// </summary>
    internal Func<IReadOnlyList<OhttpKeyConfig>>? Announced { get; init; }

    /// <summary>
    /// The served sets this device accepted and the keys it saw replaced (rule 4 of <see cref="GatewayKeyConsistency"/>).
    /// The client passes one kept in its local store, so a restart does not forget a replaced key; on its own
    /// the handler remembers for the life of the process.
    /// </summary>
    internal LocalStore.KeyHistory History { get; init; } = new(null);

    /// <summary>Seals the request, posts it to the relay and opens the gateway's answer; the relay sees neither.</summary>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var config = await KeyAsync(cancellationToken).ConfigureAwait(false);
        var content = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
            if (InnerHeaders.Contains(name))
                foreach (var value in values)
                    headers.Add(new(name.ToLowerInvariant(), value));
        var uri = request.RequestUri ?? throw new InvalidOperationException("A request without a URI.");
        var inner = new BinaryHttpRequest
        {
            Method = request.Method.Method,
            Scheme = uri.Scheme,
            Authority = uri.Authority,
            Path = uri.PathAndQuery,
            Headers = headers,
            Content = content,
        };
        var sealedRequest = ObliviousRequest.Encapsulate(config, _options.Pad ? inner.EncodePadded() : inner.Encode());

        using var outer = new HttpRequestMessage(HttpMethod.Post, _options.Relay) { Content = new ByteArrayContent(sealedRequest.Encapsulated) };
        outer.Content.Headers.ContentType = new MediaTypeHeaderValue(OhttpMediaTypes.Request);
        var response = await _inner.SendAsync(outer, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentType?.MediaType == OhttpMediaTypes.Response)
        {
            using (response)
            {
                BinaryHttpResponse answer;
                try
                {
                    answer = BinaryHttpResponse.Decode(sealedRequest.OpenResponse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false)));
                }
                catch (OhttpFormatException e)
                {
                    throw new HttpRequestException($"The gateway's sealed answer could not be opened ({e.Reason}).");
                }
                return ToResponse(answer, request);
            }
        }
        // The relay or the gateway refused the sealed request itself. Overload answers keep their
        // status (the retry schedule reads it); anything else is a transport failure, so the batch is
        // kept rather than dropped as if the collector had judged its content.
        if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
            return response;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        response.Dispose();
        if (text.Contains("#ohttp-key", StringComparison.Ordinal))
        {
            _checked = null; // check again at once: the gateway no longer holds the key we used
            throw new OhttpKeyMismatchException("The gateway no longer accepts the key configuration shipped with this application; nothing was stored.");
        }
        throw new HttpRequestException($"The relay or gateway refused the sealed request ({(int)response.StatusCode}).", null, response.StatusCode);
    }

    private async Task<OhttpKeyConfig> KeyAsync(CancellationToken cancellationToken)
    {
        var preferred = Prefer(_trusted);
        if (!_options.CheckKeys)
            return preferred;
        if (_checked is { } known && _time.GetUtcNow() < _checkedUntil)
            return known;
        await _checkGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_checked is { } again && _time.GetUtcNow() < _checkedUntil)
                return again;
            using var request = new HttpRequestMessage(HttpMethod.Get, _options.EffectiveKeysUrl);
            using var response = await _inner.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != OhttpMediaTypes.Keys)
                throw new HttpRequestException($"Could not fetch the gateway's key configuration to check it ({(int)response.StatusCode}); nothing was sent.", null, response.StatusCode);
            IReadOnlyList<OhttpKeyConfig> served;
            try
            {
                served = OhttpKeyConfig.ParseList(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (OhttpFormatException e)
            {
                throw new HttpRequestException($"The gateway's key configuration is malformed ({e.Message}); nothing was sent.");
            }
            var replaced = served.Where(c => History.WasReplaced(LocalStore.KeyHistory.GatewayKeys, c.Encode())).ToList();
            var verdict = GatewayKeyConsistency.Choose(_trusted, Announced?.Invoke() ?? [], served, replaced);
            if (verdict.Key is null)
            {
                _log?.Invoke(verdict.Refusal!);
                throw new OhttpKeyMismatchException(verdict.Refusal!);
            }
            // Keys of the last accepted set that this one dropped: they must never come back (rule 4), also after a restart.
            History.Accepted(LocalStore.KeyHistory.GatewayKeys, served.Select(c => c.Encode()).ToList());
            _checked = verdict.Key;
            _checkedUntil = _time.GetUtcNow() + _options.RecheckInterval;
            return _checked;
        }
        finally
        {
            _checkGate.Release();
        }
    }

    private static OhttpKeyConfig Prefer(IReadOnlyList<OhttpKeyConfig> configs) =>
        (X25519.IsSupported ? configs.FirstOrDefault(c => c.Kem == KemId.X25519Sha256) : null)
        ?? configs.FirstOrDefault(c => c.Kem == KemId.P256Sha256)
        ?? throw new OhttpKeyMismatchException("No shipped gateway key configuration can be used on this platform.");

    private static HttpResponseMessage ToResponse(BinaryHttpResponse answer, HttpRequestMessage request)
    {
        var response = new HttpResponseMessage((HttpStatusCode)answer.Status) { RequestMessage = request, Content = new ByteArrayContent(answer.Content) };
        foreach (var (name, value) in answer.Headers)
            if (!response.Headers.TryAddWithoutValidation(name, value))
                response.Content.Headers.TryAddWithoutValidation(name, value);
        return response;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _checkGate.Dispose();
        }
        base.Dispose(disposing);
    }
}
