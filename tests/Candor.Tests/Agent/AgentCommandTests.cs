using Candor.Tests.Infrastructure;

namespace Candor.Tests.Agent;

/// <summary>The real <c>candor agent</c> processes: the service, and the commands an administrator and a user type.</summary>
public sealed class AgentCommandTests
{
    private static readonly Dictionary<string, string> NoCi = new() { ["CI"] = "", ["DO_NOT_TRACK"] = "" };

    [DbusFact]
    public async Task Consent_show_and_export_reach_a_running_agent_over_the_bus()
    {
        using var bus = await PrivateBus.StartAsync();
        string dir = Directory.CreateTempSubdirectory("candor-agent-cli-").FullName;
        File.WriteAllText(Path.Combine(dir, "registry.yaml"), AgentRegistries.Registry);
        File.WriteAllText(Path.Combine(dir, "events.yaml"), AgentRegistries.Events);
        using var agent = CandorProcess.Start(dir, NoCi, "agent", "run", "--bus", bus.Address, "--data-dir", Path.Combine(dir, "data"),
            "--registry", Path.Combine(dir, "registry.yaml"), "--events", Path.Combine(dir, "events.yaml"), "--consent-authority", "anyone");
        for (int i = 0; i < 300 && !agent.Stdout.Contains("serving com.endlessm.Metrics"); i++)
        {
            Assert.False(agent.HasExited, agent.Stderr);
            await Task.Delay(100);
        }
        Assert.Contains("consent: unset", agent.Stdout);

        var yes = await Run(dir, "agent", "consent", "yes", "--bus", bus.Address);
        Assert.Equal((0, "Metrics enabled for this machine."), (yes.Exit, yes.Stdout.Trim()));
        await Gdbus.CallAsync(bus.Address, $"{Gdbus.Server}.RecordSingularEvent", "1000", Gdbus.Bytes(AgentRegistries.DesktopSearch), "0", "true", "<(uint32 0, 'q')>");

        var show = await Run(dir, "agent", "show", "--bus", bus.Address);
        Assert.Equal(0, show.Exit);
        Assert.Contains("(desktop.searches): 1 time", show.Stdout);
        var export = await Run(dir, "agent", "export", "--format", "csv", "--bus", bus.Address);
        Assert.Contains("desktop.searches", export.Stdout);

        var no = await Run(dir, "agent", "consent", "no", "--bus", bus.Address);
        Assert.Equal(0, no.Exit);
        Assert.DoesNotContain("desktop.searches", (await Run(dir, "agent", "show", "--bus", bus.Address)).Stdout);

        agent.Kill();
        Directory.Delete(dir, true);
    }

    [DbusFact]
    public async Task Without_a_running_agent_the_commands_say_so_in_one_line()
    {
        using var bus = await PrivateBus.StartAsync();
        var (exit, stdout, stderr) = await Run(Path.GetTempPath(), "agent", "consent", "yes", "--bus", bus.Address);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal("candor agent: no agent is running on this bus (com.endlessm.Metrics is not owned); start it with 'systemctl start candor-agent'.", stderr.Trim());
    }

    [Fact]
    public async Task A_bad_mapping_file_stops_the_agent_with_its_position()
    {
        string dir = Directory.CreateTempSubdirectory("candor-agent-cli-").FullName;
        File.WriteAllText(Path.Combine(dir, "registry.yaml"), AgentRegistries.Registry);
        File.WriteAllText(Path.Combine(dir, "events.yaml"), "registry: org.example.machine\nevents:\n  b02266bc-b010-44b2-ae0f-8f116ffa50eb:\n    metric: nope\n");

        var (exit, _, stderr) = await Run(dir, "agent", "run", "--bus", "unix:path=/nonexistent", "--data-dir", Path.Combine(dir, "data"),
            "--registry", Path.Combine(dir, "registry.yaml"), "--events", Path.Combine(dir, "events.yaml"));

        Assert.Equal(1, exit);
        Assert.Equal($"candor agent: {Path.Combine(dir, "events.yaml")}:4:13: metric 'nope' is not in registry 'org.example.machine'", stderr.Trim());
        Directory.Delete(dir, true);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(string dir, params string[] args)
    {
        using var p = CandorProcess.Start(dir, NoCi, args);
        int exit = await p.WaitAsync(TimeSpan.FromSeconds(60));
        return (exit, p.Stdout, p.Stderr);
    }
}
