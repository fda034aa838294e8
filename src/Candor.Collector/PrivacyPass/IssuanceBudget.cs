using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Candor.Collector.Storage;

namespace Candor.Collector.PrivacyPass;

/// <summary>
/// How many tokens each client address got in the current period (fixed windows on the issuer's clock).
/// This is the whole abuse bound: one address gets at most <see cref="PrivacyPassOptions.IssuanceBudget"/>
/// tokens a period, so at most that many batches count. The counts live in the database
/// (<see cref="ITokenStore.TryTakeIssuanceBudgetAsync"/>): kept in memory they reset on every restart
/// (a crash-looping issuer handed out a fresh budget each time) and multiplied with every issuer
/// process behind one load balancer.
/// What is stored is not the address: it is HMAC-SHA-256, under a key derived per period from a secret
/// kept beside the token keys (<c>budget.secret</c>, never in the database), of the address's limiter
/// key (an IPv4 address, or an IPv6 /64). A database dump alone cannot confirm a guessed address, and
/// when the period turns its rows are deleted, so nothing about who asked outlives the period.
/// </summary>
public sealed class IssuanceBudget
{
    public const string SecretFileName = "budget.secret";

    private readonly PrivacyPassOptions _options;
    private readonly TimeProvider _time;
    private readonly ITokenStore _store;
    private readonly byte[] _secret;
    private long _purgedBefore = -1;

    public IssuanceBudget(PrivacyPassOptions options, TimeProvider time, ITokenStore store)
    {
        _options = options;
        _time = time;
        _store = store;
        _secret = LoadOrCreateSecret(Path.Combine(options.KeyDirectory!, SecretFileName));
    }

    /// <summary>Takes <paramref name="tokens"/> from the address's budget; false (and nothing taken) when it would overspend.</summary>
    public async Task<(bool Taken, TimeSpan RetryAfter)> TryTakeAsync(IPAddress address, int tokens, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var length = TimeSpan.FromHours(_options.IssuancePeriodHours);
        long period = now.Ticks / length.Ticks;
        var retryAfter = new DateTimeOffset((period + 1) * length.Ticks, TimeSpan.Zero) - now;
        if (Interlocked.Exchange(ref _purgedBefore, period) != period)
            await _store.PurgeIssuanceBudgetsAsync(period, cancellationToken);
        bool taken = await _store.TryTakeIssuanceBudgetAsync(period, Tag(period, ClientAddress.PartitionKey(address)), tokens, _options.IssuanceBudget, cancellationToken);
        return (taken, retryAfter);
    }

    private byte[] Tag(long period, IPAddress partition)
    {
        var label = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(label, period);
        byte[] message = [.. Encoding.ASCII.GetBytes("candor issuance budget "), .. label];
        var periodKey = HMACSHA256.HashData(_secret, message);
        return HMACSHA256.HashData(periodKey, partition.GetAddressBytes())[..16];
    }

    /// <summary>The secret every issuer process of one deployment shares (they share the key folder); made once, atomically.</summary>
    private static byte[] LoadOrCreateSecret(string path)
    {
        if (!File.Exists(path))
        {
            var temporary = path + "." + Guid.NewGuid().ToString("n") + ".tmp";
            File.WriteAllText(temporary, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            try
            {
                File.Move(temporary, path, overwrite: false); // two processes starting at once: the first one's secret wins
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
        }
        var secret = Convert.FromBase64String(File.ReadAllText(path).Trim());
        if (secret.Length < 32)
            throw new FormatException($"{path}: the issuance budget secret must hold at least 32 bytes (base64).");
        return secret;
    }
}
