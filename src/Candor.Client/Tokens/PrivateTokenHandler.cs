using System.Net;
using Candor.PrivacyPass;

namespace Candor.Client.Tokens;

/// <summary>
/// Adds <c>Authorization: PrivateToken token="..."</c> to every report upload, with the token the wallet
/// holds for that batch (by its Idempotency-Key), and refills the wallet at random moments of its own.
/// The challenge comes through the same transport as uploads; the issuer is reached through the network
/// under it (direct or SOCKS5/Tor), never through an Oblivious HTTP relay: the issuer rate-limits per
/// address, and behind a relay every device would share the relay's one budget.
/// A decorator, like the transports: the client only puts it in front of its handler.
/// </summary>
internal sealed class PrivateTokenHandler : DelegatingHandler
{
    private readonly TokenWallet _wallet;
    private readonly TokenRefillOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<bool> _allowed;
    private readonly Random _random;
    private readonly HttpMessageHandler? _issuerTransport;
    private readonly HttpMessageHandler? _directoryTransport;
    private readonly Action<string>? _log;
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private int _failing;

    /// <summary>Told when refills start failing (once per run of failures, not per attempt) and when they work again.</summary>
    public Action<string, bool>? Log { get; init; }

    /// <param name="allowed">The consent gate: no token is fetched while it says no (privacy invariant 10).</param>
    /// <param name="issuerTransport">How to reach the issuer when it is not the way reports travel (the network under the ohttp layer); null: <paramref name="inner"/>.</param>
    /// <param name="directoryTransport">How to reach <see cref="TokenRefillOptions.Directory"/> (the network under the ohttp layer); null: the issuer's way.</param>
    /// <param name="log">The device's log: a token key that fails the consistency check is written there.</param>
    public PrivateTokenHandler(HttpMessageHandler inner, TokenWallet wallet, TokenRefillOptions options, TimeProvider time, Func<bool> allowed, Random? random = null,
        HttpMessageHandler? issuerTransport = null, HttpMessageHandler? directoryTransport = null, Action<string>? log = null)
        : base(inner)
    {
        _issuerTransport = issuerTransport;
        _directoryTransport = directoryTransport;
        _log = log;
        _wallet = wallet;
        _options = options;
        _time = time;
        _allowed = allowed;
        _random = random ?? Random.Shared;
    }

    public TokenWallet Wallet => _wallet;

    /// <summary>When the next refill runs (null until <see cref="Start"/>).</summary>
    public DateTimeOffset? NextRefill { get; private set; }

    /// <summary>Starts the refill schedule: each refill at a uniformly random moment in the next <see cref="TokenRefillOptions.RefillInterval"/>.</summary>
    public void Start()
    {
        lock (_lock)
            ScheduleNext();
    }

    private void ScheduleNext()
    {
        var delay = TimeSpan.FromTicks((long)(_random.NextDouble() * _options.RefillInterval.Ticks));
        NextRefill = _time.GetUtcNow() + delay;
        _timer?.Dispose();
        _timer = _time.CreateTimer(_ => _ = RefillAndRescheduleAsync(), null, delay, Timeout.InfiniteTimeSpan);
    }

    private async Task RefillAndRescheduleAsync()
    {
        try
        {
            await RefillAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (RefillFailureEpisode.IsRefillFailure(e, CancellationToken.None))
        {
            // Offline or a broken answer: the next random moment tries again; uploads go on without tokens meanwhile.
        }
        catch (Exception e) when (LocalStore.StorageFault.IsStorageError(e))
        {
            // A full disk: the wallet cannot be read or written. Escaping here would end the refill schedule for
            // good (no next moment is drawn); the next random moment tries again once the disk has room.
            Failed($"the local store cannot be written ({e.Message})");
        }
        lock (_lock)
            if (_timer is not null)
                ScheduleNext();
    }

    /// <summary>
    /// One refill now, if consent allows and the wallet is below its target; returns the tokens added.
    /// Throws when the collector or issuer cannot be reached or answers nonsense; that, and an issuer that
    /// refuses every token, is a refill failure, logged once per run of failures (<see cref="RefillFailureEpisode"/>).
    /// A token key that fails the consistency check adds none and is written to the device's log.
    /// </summary>
    public async Task<int> RefillAsync(CancellationToken cancel = default)
    {
        if (!_allowed() || _wallet.Available >= _options.Target)
            return 0;
        using var http = new HttpClient(InnerHandler!, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60) };
        // Not disposed: disposing a DelegatingHandler would dispose the transport under it, which the client owns.
        var issuerAnswers = new IssuerAnswerWatch(_issuerTransport ?? InnerHandler!);
        using var issuerHttp = new HttpClient(issuerAnswers, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60) };
        using var directoryHttp = _options.Directory is null ? null
            : new HttpClient(_directoryTransport ?? _issuerTransport ?? InnerHandler!, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60) };
        int added;
        try
        {
            (Uri, HttpClient)? directory = directoryHttp is null ? null : (_options.Directory!, directoryHttp);
            added = await _wallet.FillAsync(http, _options.Collector, _options.App, _options.Target, _options.Issuer, cancel, issuerHttp, directory).ConfigureAwait(false);
        }
        catch (TokenKeyInconsistentException e)
        {
            // Not a refill failure to retry quietly: the device refuses the key, and says so every time.
            _log?.Invoke(e.Message);
            return 0;
        }
        catch (Exception e) when (RefillFailureEpisode.IsRefillFailure(e, cancel))
        {
            Failed($"{e.GetType().Name}: {e.Message}");
            throw;
        }
        if (added == 0 && issuerAnswers.Refused is { } status)
            Failed($"the issuer refused every token request ({(int)status} {status}); uploads to a collector that requires tokens wait until a refill succeeds");
        else if (Interlocked.Exchange(ref _failing, 0) == 1)
            Log?.Invoke($"Privacy Pass token refills work again ({added} token(s) added).", false);
        return added;
    }

    private void Failed(string why)
    {
        if (Interlocked.Exchange(ref _failing, 1) == 0)
            Log?.Invoke($"Refilling Privacy Pass tokens failed: {why}. Further failures are not logged until a refill succeeds.", true);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string? batchKey = null;
        if (request.Method == HttpMethod.Post && request.RequestUri?.AbsolutePath.EndsWith("/reports", StringComparison.Ordinal) == true
            && request.Headers.Authorization is null
            && request.Headers.TryGetValues("Idempotency-Key", out var keys) && keys.FirstOrDefault() is { } key)
        {
            batchKey = key;
            if (_wallet.TokenFor(key) is { } token)
                request.Headers.TryAddWithoutValidation("Authorization", $"{PrivateTokenHeader.Scheme} token=\"{PrivateTokenHeader.Encode(token)}\"");
        }
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (batchKey is not null)
        {
            // The token is spent (accepted) or worthless (refused): either way it must not be sent again.
            // On a retryable answer (5xx, 429) the batch keeps its token for the retry.
            if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
                _wallet.Release(batchKey);
            if (response.StatusCode == HttpStatusCode.Unauthorized && response.Headers.WwwAuthenticate.Count > 0
                && await ProblemTypeAsync(response).ConfigureAwait(false) == "urn:candor:problem:expired-token-key")
                _wallet.Clear();
        }
        return response;
    }

    private static async Task<string?> ProblemTypeAsync(HttpResponseMessage response)
    {
        await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
            return doc.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Stops the refill schedule (the client is closing; the inner transport is the client's to dispose).</summary>
    public void StopRefills()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _timer?.Dispose();
        base.Dispose(disposing);
    }
}
