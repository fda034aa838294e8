using Candor.Agent.Consent;
using Candor.Agent.Recording;

namespace Candor.Tests.Agent;

/// <summary>One consent for the machine: the library's tri-state with no default, changed only through SetEnabled.</summary>
public sealed class AgentConsentTests
{
    private static async Task RecordOneOfEachAsync(AgentUnderTest agent)
    {
        await agent.SingularAsync(AgentRegistries.DesktopSearch, "<(uint32 0, 'printer')>");
        await agent.SingularAsync(AgentRegistries.KnowledgeSearch, "<('a', 'b')>"); // unmapped: would be a drop count
        await agent.SequenceAsync(AgentRegistries.SocialBar, "[(int64 0, false, <byte 0>), (int64 5000000000, false, <byte 0>)]");
    }

    [DbusFact]
    public async Task Before_yes_nothing_is_recorded_not_even_locally()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        Assert.Equal("(<false>,)", await Gdbus.CallAsync(agent.Bus.Address, "org.freedesktop.DBus.Properties.Get", Gdbus.Server, "Enabled"));

        await RecordOneOfEachAsync(agent);

        Assert.Empty(agent.Kept());
        Assert.Equal(0, agent.Service.Drops[DropReason.Unmapped]);
        Assert.False(File.Exists(Path.Combine(agent.Kit.DataDirectory, "agent-dropped.json")));
        Assert.Contains("consent: unset", await agent.ShowAsync());

        // Positive control: the very same calls after "yes" are recorded and counted.
        await agent.CallAsync("SetEnabled", "true");
        await RecordOneOfEachAsync(agent);
        Assert.Equal(2, agent.Kept().Count);
        Assert.Equal(1, agent.Service.Drops[DropReason.Unmapped]);
    }

    [DbusFact]
    public async Task No_erases_what_was_kept_and_stops_recording()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        await agent.CallAsync("SetEnabled", "true");
        await RecordOneOfEachAsync(agent);
        Assert.NotEmpty(agent.Kept());
        Assert.True(File.Exists(Path.Combine(agent.Kit.DataDirectory, "agent-dropped.json")));

        await agent.CallAsync("SetEnabled", "false");

        Assert.Empty(agent.Kept());
        Assert.Equal(0, agent.Service.Drops[DropReason.Unmapped]);
        Assert.False(File.Exists(Path.Combine(agent.Kit.DataDirectory, "agent-dropped.json")));
        Assert.Contains("consent: denied", await agent.ShowAsync());
        Assert.Equal("(<false>,)", await Gdbus.CallAsync(agent.Bus.Address, "org.freedesktop.DBus.Properties.Get", Gdbus.Server, "Enabled"));

        await RecordOneOfEachAsync(agent);
        Assert.Empty(agent.Kept());
    }

    [DbusFact]
    public async Task SetEnabled_is_refused_when_polkit_does_not_authorise_it()
    {
        // The private bus has no polkit: the agent must fail closed, not fall back to "allowed".
        await using var agent = await AgentUnderTest.StartAsync(authority: new PolkitAuthority());

        var (exit, _, stderr) = await Gdbus.TryCallAsync(agent.Bus.Address, "/com/endlessm/Metrics", $"{Gdbus.Server}.SetEnabled", "true");

        Assert.NotEqual(0, exit);
        Assert.Contains("AccessDenied", stderr);
        Assert.Contains(PolkitAuthority.ActionId, stderr);
        Assert.False(agent.Client.Consent.IsGranted);
        Assert.Equal("(<false>,)", await Gdbus.CallAsync(agent.Bus.Address, "org.freedesktop.DBus.Properties.Get", Gdbus.Server, "Enabled"));
    }

    [DbusFact]
    public async Task Changing_consent_is_announced_as_PropertiesChanged()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        var info = new System.Diagnostics.ProcessStartInfo(DbusFactAttribute.GdbusPath) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "monitor", "--address", agent.Bus.Address, "--dest", "com.endlessm.Metrics" }) info.ArgumentList.Add(a);
        using var monitor = System.Diagnostics.Process.Start(info)!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        monitor.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        monitor.BeginOutputReadLine();
        for (int i = 0; i < 100 && !lines.Any(l => l.Contains("Monitoring signals")); i++)
            await Task.Delay(100);

        await agent.CallAsync("SetEnabled", "true");
        for (int i = 0; i < 100 && !lines.Any(l => l.Contains("PropertiesChanged")); i++)
            await Task.Delay(100);
        monitor.Kill();

        var change = Assert.Single(lines, l => l.Contains("PropertiesChanged"));
        Assert.Contains($"'{Gdbus.Server}', {{'Enabled': <true>}}", change);
    }

    [DbusFact]
    public async Task Enabled_cannot_be_set_as_a_property()
    {
        await using var agent = await AgentUnderTest.StartAsync();

        var (exit, _, stderr) = await Gdbus.TryCallAsync(agent.Bus.Address, "/com/endlessm/Metrics", "org.freedesktop.DBus.Properties.Set", Gdbus.Server, "Enabled", "<true>");

        Assert.NotEqual(0, exit);
        Assert.Contains("PropertyReadOnly", stderr);
        Assert.False(agent.Client.Consent.IsGranted);
    }

    [DbusFact]
    public async Task Any_caller_can_see_and_export_what_is_kept()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        await agent.CallAsync("SetEnabled", "true");
        await RecordOneOfEachAsync(agent);

        string show = await agent.ShowAsync();
        Assert.Contains("consent: granted", show);
        Assert.Contains("desktop.searches", show);
        Assert.Contains("dropped: unmapped 1", show);

        string json = await Gdbus.CallAsync(agent.Bus.Address, "org.candor.Agent1.Export", "json");
        Assert.Contains("desktop.searches", json);
        string csv = await Gdbus.CallAsync(agent.Bus.Address, "org.candor.Agent1.Export", "csv");
        Assert.Contains("socialbar.visible_seconds", csv);

        var (exit, _, stderr) = await Gdbus.TryCallAsync(agent.Bus.Address, "/com/endlessm/Metrics", "org.candor.Agent1.Export", "xml");
        Assert.NotEqual(0, exit);
        Assert.Contains("use json or csv", stderr);
    }
}
