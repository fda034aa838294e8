using System.Net;
using System.Net.Sockets;

namespace Candor.Tests.Operations;

/// <summary>
/// The ports tests start servers on: a port from the kernel's ephemeral range, closed again, can become the source port of any
/// outgoing connection before the server binds it ("address already in use", an intermittent CI failure). These check that
/// <see cref="LoopbackClient.FreePort"/> stays out of that range, never repeats, and skips a port someone holds.
/// </summary>
public sealed class LoopbackClientTests
{
    private static (int Low, int High) EphemeralRange()
    {
        var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    [Fact]
    public void Free_ports_never_come_from_the_range_outgoing_connections_take_their_source_ports_from()
    {
        var (low, high) = EphemeralRange();
        var ports = Enumerable.Range(0, 200).Select(_ => LoopbackClient.FreePort()).ToList();
        Assert.All(ports, p => Assert.True(p < low || p > high, $"{p} is in the ephemeral range {low}-{high}"));
        Assert.Equal(ports.Count, ports.Distinct().Count());

        // Positive control: what the kernel hands out for port 0 (the old way) is in that range.
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int kernel = ((IPEndPoint)l.LocalEndpoint).Port;
        Assert.InRange(kernel, low, high);
    }

    [Fact]
    public void A_port_someone_listens_on_is_skipped()
    {
        int next = LoopbackClient.FreePort() + 1;
        if (next >= LoopbackClient.EndPort)
            next = LoopbackClient.FirstPort;
        using var held = new TcpListener(IPAddress.Loopback, next);
        try { held.Start(); }
        catch (SocketException) { return; } // held already by something else: skipped either way
        int port = LoopbackClient.FreePort();
        Assert.NotEqual(next, port);
        using var server = new TcpListener(IPAddress.Loopback, port);
        server.Start();
    }
}
