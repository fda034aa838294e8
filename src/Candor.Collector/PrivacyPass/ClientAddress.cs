using System.Net;
using Microsoft.AspNetCore.Http;

namespace Candor.Collector.PrivacyPass;

/// <summary>
/// The address the rate limiters key on. Behind a reverse proxy every connection comes from the proxy,
/// so one shared bucket throttled every client at once; for a connection from a configured trusted
/// proxy, the right-most <c>X-Forwarded-For</c> entry that is not itself a trusted proxy is the client
/// (entries further left are whatever the client chose to send, so they are never believed). A header
/// from anyone else is ignored: otherwise a client could name a fresh address per request.
/// The result is a partition key in memory only; it is never stored or logged.
/// </summary>
public sealed class ClientAddress
{
    private readonly IPNetwork[] _proxies;

    public ClientAddress(PrivacyPassOptions options)
    {
        _proxies = [.. options.TrustedProxies.Select(p => IPNetwork.Parse(p.Contains('/') ? p : p + (p.Contains(':') ? "/128" : "/32")))];
    }

    public IPAddress Of(HttpContext http)
    {
        var remote = Normalize(http.Connection.RemoteIpAddress ?? IPAddress.None);
        if (_proxies.Length == 0 || !IsTrusted(remote))
            return remote;
        var forwarded = http.Request.Headers["X-Forwarded-For"];
        for (int h = forwarded.Count - 1; h >= 0; h--)
        {
            var parts = (forwarded[h] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            for (int i = parts.Length - 1; i >= 0; i--)
            {
                if (!IPAddress.TryParse(parts[i], out var hop))
                    return remote; // a damaged chain: fall back to the proxy's own bucket rather than trust it
                hop = Normalize(hop);
                if (!IsTrusted(hop))
                    return hop;
            }
        }
        return remote;
    }

    /// <summary>
    /// The limiter key of an address: IPv4 as is, IPv6 by its /64 (one subscriber usually holds a whole
    /// /64, so keying on single addresses would hand out 2^64 budgets).
    /// </summary>
    public static IPAddress PartitionKey(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            return address;
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }

    private bool IsTrusted(IPAddress address)
    {
        foreach (var p in _proxies)
            if (p.Contains(address))
                return true;
        return false;
    }

    private static IPAddress Normalize(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
