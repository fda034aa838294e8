using System.Security.Cryptography;

namespace Candor.Dap;

/// <summary>
/// One DAP task as one aggregator holds it (DAP-09, section 4.2): the parameters both aggregators agree on
/// out of band, this aggregator's own HPKE keys, the token the Leader presents to the Helper, and (at the
/// Leader) the token the Collector presents. A task's parameters never change: a new key or VDAF is a new task.
/// </summary>
internal sealed class DapTask
{
    public const int IdSize = 32;

    public required byte[] Id { get; init; }
    public required DapRole Role { get; init; }
    public required Uri Leader { get; init; }
    public required Uri Helper { get; init; }
    public required DapVdaf Vdaf { get; init; }
    public required byte[] VerifyKey { get; init; }

    /// <summary>Seconds; report times are multiples of it, and batch intervals start and last multiples of it.</summary>
    public required ulong TimePrecision { get; init; }

    /// <summary>The fewest reports a collected batch may hold: the task's privacy floor.</summary>
    public required ulong MinBatchSize { get; init; }

    /// <summary>Reports with a later time are refused; null: no end.</summary>
    public ulong? Expiration { get; init; }

    /// <summary>This aggregator's HPKE keys, the first preferred; clients seal input shares to them.</summary>
    public required IReadOnlyList<DapHpkeKeyPair> HpkeKeys { get; init; }

    /// <summary>The bearer token the Leader sends to the Helper (both hold the same value).</summary>
    public required string AggregatorAuthToken { get; init; }

    /// <summary>At the Leader: the bearer token the Collector sends. Null at the Helper.</summary>
    public string? CollectorAuthToken { get; init; }

    /// <summary>Both aggregators seal their aggregate shares to it.</summary>
    public required DapHpkeConfig CollectorHpkeConfig { get; init; }

    public string IdText => Base64Url(Id);

    /// <summary>How far ahead of this aggregator's clock a report's time may be (clock skew; DAP-09 suggests minutes).</summary>
    public static readonly ulong ClockSkewSeconds = 300;

    public ulong RoundDown(ulong time) => time - time % TimePrecision;

    public static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <exception cref="FormatException">Not unpadded base64url.</exception>
    public static byte[] FromBase64Url(string text)
    {
        if (text.Contains('=') || text.Contains('+') || text.Contains('/'))
            throw new FormatException("not unpadded base64url");
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException("not base64url") };
        return Convert.FromBase64String(padded);
    }

    /// <summary>Compares a presented bearer token with the expected one in constant time.</summary>
    public static bool TokenMatches(string? presented, string? expected)
    {
        if (presented is null || expected is null)
            return false;
        var a = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(presented));
        var b = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
