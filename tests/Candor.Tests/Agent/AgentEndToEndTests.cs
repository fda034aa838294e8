using System.Text;
using Candor.Tests.Client;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Agent;

/// <summary>From gdbus through the agent to a real collector (Kestrel on loopback): exactly what arrives.</summary>
public sealed class AgentEndToEndTests
{
    private static readonly DateTimeOffset NextMonday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [DbusFact]
    public async Task A_collector_receives_the_mapped_metrics_and_nothing_of_the_payloads_the_events_carried()
    {
        string registries = Directory.CreateTempSubdirectory("candor-agent-registry-").FullName;
        string registryFile = Path.Combine(registries, "machine.yaml");
        File.WriteAllText(registryFile, AgentRegistries.Registry);
        await using var collector = await CollectorHost.StartAsync(o => o.RegistryFiles.Add(registryFile), clockStart: NextMonday);
        var tap = new WireTap();
        await using var agent = await AgentUnderTest.StartAsync(collector.BaseAddress, tap);
        await agent.CallAsync("SetEnabled", "true");

        // What eos-metrics applications would send, identifying strings included.
        await agent.SingularAsync(AgentRegistries.DesktopSearch, "<(uint32 0, 'symptoms of flu')>");
        await agent.AggregateAsync(AgentRegistries.DesktopSearch, 2, "<(uint32 1, 'bank login')>");
        await agent.SingularAsync(AgentRegistries.NetworkStatus, "<(uint32 40, uint32 70)>");
        await agent.SingularAsync(AgentRegistries.KnowledgeSearch, "<('divorce lawyer', 'com.endlessm.encyclopedia')>");
        await agent.SingularAsync(AgentRegistries.DesktopSearch, "<'unexpected payload'>");

        agent.Kit.Clock.Set(NextMonday);
        var cycle = await agent.Client.UploadAsync();
        Assert.Equal(0, cycle.Pending);

        var rows = (await collector.Store.ReadRawAsync(AgentRegistries.App)).ToDictionary(r => (r.Metric, r.Period), r => r.Value);
        Assert.Equal("2", rows[("desktop.searches", "2026-W47")]);        // 3 searches, sent as the bucket's lower bound
        Assert.Equal("connected", rows[("network.state", "2026-W47")]);
        Assert.Equal(["desktop.searches", "network.state"], rows.Keys.Select(k => k.Metric).Distinct().Order().ToArray());

        // The attack: the operator reads every byte the device sent, and every row it stored.
        var sent = string.Concat(tap.Requests.Select(r => Encoding.UTF8.GetString(r.Body)));
        var stored = string.Join("\n", rows.Values);
        // Whole strings with spaces and dots: they cannot occur by chance inside base64 or hex fields.
        foreach (var secret in new[] { "symptoms of flu", "bank login", "divorce lawyer", "com.endlessm.encyclopedia", "unexpected payload", AgentUnderTest.UserId, "TrackingId" })
        {
            Assert.DoesNotContain(secret, sent, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, stored, StringComparison.OrdinalIgnoreCase);
        }
        // Positive control: the same search finds what an event did contribute (the mapped enum value).
        Assert.Contains("connected", sent);
        Assert.Contains("connected", stored);

        // Nor does the device keep them: every byte of the agent's data directory (store, WAL, drop counts).
        agent.Client.Flush();
        var atRest = string.Concat(Directory.EnumerateFiles(agent.Kit.DataDirectory, "*", SearchOption.AllDirectories)
            .Select(f => { using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete); using var r = new StreamReader(s, Encoding.Latin1); return r.ReadToEnd(); }));
        Assert.DoesNotContain("symptoms of flu", atRest);
        Assert.DoesNotContain("divorce lawyer", atRest);
        Assert.Contains("network.state", atRest); // positive control: the scan does read the store

        // And the drops stay on the device, visible to the user, never in an upload.
        Assert.Contains("dropped: unmapped 1, disallowed payload 1", await agent.ShowAsync());
        Assert.DoesNotContain("dropped", sent);
        Directory.Delete(registries, true);
    }
}
