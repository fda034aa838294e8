using System.Runtime.CompilerServices;
using System.Xml.Linq;

namespace Candor.Tests.Agent;

/// <summary>The agent serves eos-metrics' interfaces exactly as com.endlessm.Metrics.xml specifies them.</summary>
public sealed class AgentInterfaceTests
{
    private static string ReferenceFile([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Reference", "com.endlessm.Metrics.xml");

    /// <summary>Each method's and property's name with its argument types and directions, in order.</summary>
    private static SortedSet<string> Members(XElement node, string iface)
    {
        var members = new SortedSet<string>();
        var element = node.Elements("interface").Single(i => (string?)i.Attribute("name") == iface);
        foreach (var m in element.Elements("method"))
            members.Add($"method {m.Attribute("name")!.Value}(" + string.Join(", ", m.Elements("arg").Select(a => $"{(string?)a.Attribute("direction") ?? "in"} {a.Attribute("type")!.Value}")) + ")");
        foreach (var p in element.Elements("property"))
            members.Add($"property {p.Attribute("name")!.Value} {p.Attribute("type")!.Value} {p.Attribute("access")!.Value}");
        return members;
    }

    [DbusFact]
    public async Task The_introspected_interfaces_match_the_eos_metrics_specification()
    {
        // XML 1.1 is what the file declares; .NET reads 1.0, and nothing in the file differs between the two.
        var reference = XElement.Parse(File.ReadAllText(ReferenceFile()).Replace("version=\"1.1\"", "version=\"1.0\""));
        await using var agent = await AgentUnderTest.StartAsync();
        var (exit, stdout, stderr) = await Gdbus.RunAsync("introspect", "--address", agent.Bus.Address, "--dest", "com.endlessm.Metrics", "--object-path", "/com/endlessm/Metrics", "--xml");
        Assert.True(exit == 0, stderr);
        var served = XElement.Parse(stdout);

        Assert.Equal(Members(reference, Gdbus.Server), Members(served, Gdbus.Server));

        using var app = await AgentConnection.ConnectAsync(agent.Bus.Address);
        string timer = await app.StartAggregateTimerAsync(AgentRegistries.SocialBar);
        var timerXml = await Gdbus.RunAsync("introspect", "--address", agent.Bus.Address, "--dest", "com.endlessm.Metrics", "--object-path", timer, "--xml");
        Assert.Equal(Members(reference, "com.endlessm.Metrics.AggregateTimer"), Members(XElement.Parse(timerXml.Stdout), "com.endlessm.Metrics.AggregateTimer"));
    }

    [DbusFact]
    public async Task A_second_agent_on_the_same_bus_is_refused_with_a_clear_error()
    {
        await using var first = await AgentUnderTest.StartAsync();
        var kit = new Candor.Tests.Client.ClientTestKit();
        using var client = Candor.Client.CandorClient.Create(kit.Options(registry: AgentUnderTest.Registry));
        var map = Candor.Registry.Events.EventMapParser.Parse(AgentRegistries.Events, "events.yaml", AgentUnderTest.Registry);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Candor.Agent.AgentService.StartAsync(
            new Candor.Agent.AgentOptions { BusAddress = first.Bus.Address }, client, map, kit.DataDirectory));

        Assert.Contains("already owns com.endlessm.Metrics", e.Message);
        kit.Dispose();
    }
}
