using Candor.Agent.Recording;

namespace Candor.Tests.Agent;

/// <summary>eos-metrics calls, made by GLib's gdbus against the agent on a private bus, and what they become locally.</summary>
public sealed class AgentRecordingTests
{
    [DbusFact]
    public async Task Singular_aggregate_and_sequence_events_become_local_counts_and_values()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        await agent.CallAsync("SetEnabled", "true");

        await agent.SingularAsync(AgentRegistries.DesktopSearch, "<(uint32 0, 'how to install printer')>");
        await agent.AggregateAsync(AgentRegistries.DesktopSearch, 3, "<(uint32 0, 'cat pictures')>");
        await agent.SingularAsync(AgentRegistries.NetworkStatus, "<(uint32 40, uint32 70)>");
        await agent.SingularAsync(AgentRegistries.Uptime, "<(int64 86400, int64 250)>");
        // Open for 30 s: relative timestamps are nanoseconds.
        await agent.SequenceAsync(AgentRegistries.SocialBar, "[(int64 1000000000, false, <byte 0>), (int64 31000000000, false, <byte 0>)]");

        var kept = agent.Kept().ToDictionary(i => i.Metric, i => i.Summary);
        Assert.Equal(4, kept.Count);
        Assert.Contains("4 time", kept["desktop.searches"]);          // 1 singular + an aggregate of 3
        Assert.Contains("connected", kept["network.state"]);           // NMState 70 mapped to an allowed value
        Assert.Contains("250", kept["system.boots"]);                  // the second member of (xx)
        Assert.Contains("from 10", kept["socialbar.visible_seconds"]); // the sequence's 30 s, in the [10, 60) bucket
        Assert.Equal(0, agent.Service.Drops[DropReason.Unmapped] + agent.Service.Drops[DropReason.DisallowedPayload] + agent.Service.Drops[DropReason.WrongKind]);
    }

    [DbusFact]
    public async Task Unmapped_events_and_disallowed_payloads_are_dropped_and_counted()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        await agent.CallAsync("SetEnabled", "true");

        await agent.SingularAsync(AgentRegistries.KnowledgeSearch, "<('some search', 'com.endlessm.app')>"); // not in the mapping
        await agent.SingularAsync(AgentRegistries.DesktopSearch, "<'just a string'>");                        // (us) expected
        await agent.SingularAsync(AgentRegistries.DesktopSearch, null);                                       // a payload is required
        await agent.SingularAsync(AgentRegistries.NetworkStatus, "<(uint32 40, uint32 60)>");                 // 60 is not allowlisted
        await agent.AggregateAsync(AgentRegistries.DesktopSearch, -2, "<(uint32 0, 'q')>");                   // counters only grow
        await agent.SingularAsync(AgentRegistries.SocialBar, null);                                           // a duration needs a sequence or timer

        Assert.Empty(agent.Kept());
        Assert.Equal(1, agent.Service.Drops[DropReason.Unmapped]);
        Assert.Equal(4, agent.Service.Drops[DropReason.DisallowedPayload]);
        Assert.Equal(1, agent.Service.Drops[DropReason.WrongKind]);
        Assert.Contains("dropped: unmapped 1, disallowed payload 4, wrong kind 1", await agent.ShowAsync());
    }

    [DbusFact]
    public async Task An_aggregate_timer_records_its_running_time_and_only_its_starter_may_stop_it()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        await agent.CallAsync("SetEnabled", "true");
        using var app = await AgentConnection.ConnectAsync(agent.Bus.Address);

        string path = await app.StartAggregateTimerAsync(AgentRegistries.SocialBar);
        Assert.StartsWith("/com/endlessm/Metrics/AggregateTimer/", path);
        agent.TimerClock.Advance(TimeSpan.FromSeconds(75));

        // gdbus is another connection: it may not stop (or cut short) someone else's timer.
        var (exit, _, stderr) = await Gdbus.TryCallAsync(agent.Bus.Address, path, "com.endlessm.Metrics.AggregateTimer.StopTimer");
        Assert.NotEqual(0, exit);
        Assert.Contains("AccessDenied", stderr);
        Assert.Empty(agent.Kept());

        await app.StopTimerAsync(path);
        Assert.Contains("from 60", Assert.Single(agent.Kept()).Summary); // 75 s falls in the [60, 600) bucket
        Assert.Equal(0, agent.Service.Timers.Running);
    }

    [DbusFact]
    public async Task The_timers_of_an_application_that_left_the_bus_are_forgotten_and_record_nothing()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        await agent.CallAsync("SetEnabled", "true");
        using var staying = await AgentConnection.ConnectAsync(agent.Bus.Address);
        await staying.StartAggregateTimerAsync(AgentRegistries.SocialBar);
        var crashing = await AgentConnection.ConnectAsync(agent.Bus.Address);
        await crashing.StartAggregateTimerAsync(AgentRegistries.SocialBar);
        await crashing.StartAggregateTimerAsync(AgentRegistries.SocialBar);
        Assert.Equal(3, agent.Service.Timers.Running);

        crashing.Dispose(); // the application is gone without stopping its timers
        for (int i = 0; i < 100 && agent.Service.Timers.Running > 1; i++)
            await Task.Delay(100);

        Assert.Equal(1, agent.Service.Timers.Running); // only the other application's timer is left
        Assert.Empty(agent.Kept());
    }

    [DbusFact]
    public async Task A_malformed_event_id_is_refused_with_InvalidArgs_and_records_nothing()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        await agent.CallAsync("SetEnabled", "true");

        var (exit, _, stderr) = await Gdbus.TryCallAsync(agent.Bus.Address, "/com/endlessm/Metrics", $"{Gdbus.Server}.RecordSingularEvent",
            "1000", "[byte 1, 2, 3]", "0", "false", "<byte 0>");

        Assert.NotEqual(0, exit);
        Assert.Contains("InvalidArgs", stderr);
        Assert.Contains("16 bytes", stderr);
        Assert.Empty(agent.Kept());
    }

    [DbusFact]
    public async Task TrackingId_is_empty_and_resetting_it_changes_nothing()
    {
        await using var agent = await AgentUnderTest.StartAsync();
        await agent.CallAsync("SetEnabled", "true");

        Assert.Equal("(<''>,)", await Gdbus.CallAsync(agent.Bus.Address, "org.freedesktop.DBus.Properties.Get", Gdbus.Server, "TrackingId"));
        Assert.Equal("()", await agent.CallAsync("ResetTrackingId"));
        Assert.Equal("(<''>,)", await Gdbus.CallAsync(agent.Bus.Address, "org.freedesktop.DBus.Properties.Get", Gdbus.Server, "TrackingId"));
        // UploadEvents only flushes to the local store: the device, not an application, decides when it speaks.
        Assert.Equal("()", await agent.CallAsync("UploadEvents"));
        Assert.Empty(agent.Client.Sent());
    }
}
