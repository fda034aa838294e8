using Candor.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Candor.Tests.Operations;

/// <summary>
/// deploy/ checked statically, without Docker: the compose file parses and runs N collectors on
/// PostgreSQL sharing one data directory (one log key), with a health check on every service, nginx
/// started only once the collectors are healthy, and the collectors trusting nginx's address alone;
/// the shipped nginx configuration passes <c>nginx -t</c> and forwards the connection's address,
/// replacing any the client sent.
/// </summary>
public sealed class DeployFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-deploy-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static YamlMappingNode Compose()
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Path.Combine(OpenApiContractTests.RepositoryRoot(), "deploy", "compose.yaml")));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    }

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];
    private static string Scalar(YamlNode node, string key) => ((YamlScalarNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)]).Value!;
    private static bool Has(YamlNode node, string key) => ((YamlMappingNode)node).Children.ContainsKey(new YamlScalarNode(key));

    [Fact]
    public void Every_service_has_a_health_check_and_starts_after_what_it_needs_is_healthy()
    {
        var services = Map(Compose(), "services");
        Assert.Equal(["collector", "nginx", "postgres"], services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order());
        foreach (var (name, service) in services.Children)
        {
            var test = (YamlSequenceNode)((YamlMappingNode)Map(service, "healthcheck")).Children[new YamlScalarNode("test")];
            Assert.True(test.Children.Count >= 2, $"{name}: a health check runs a command");
            Assert.Contains(((YamlScalarNode)test.Children[0]).Value, new[] { "CMD", "CMD-SHELL" });
        }
        Assert.Equal("service_healthy", Scalar(Map(Map(services["collector"], "depends_on"), "postgres"), "condition"));
        Assert.Equal("service_healthy", Scalar(Map(Map(services["nginx"], "depends_on"), "collector"), "condition"));
        // The runtime image has no curl: the collector's check must not need one.
        var collectorCheck = string.Join(" ", ((YamlSequenceNode)Map(services["collector"], "healthcheck").Children[new YamlScalarNode("test")]).Children.Select(c => ((YamlScalarNode)c).Value));
        Assert.DoesNotContain("curl", collectorCheck);
        Assert.Contains("/readyz", collectorCheck);
    }

    [Fact]
    public void Collectors_run_on_postgresql_scaled_and_share_one_data_directory_for_the_log_key()
    {
        var collector = Map(Compose(), "services")["collector"];
        var environment = Map(collector, "environment");
        Assert.StartsWith("Host=postgres;", Scalar(environment, "CANDOR_Database"));
        Assert.Equal("${CANDOR_COLLECTORS:-2}", Scalar(Map(collector, "deploy"), "replicas"));
        var dataDirectory = Scalar(environment, "CANDOR_DataDirectory");
        var mounts = ((YamlSequenceNode)((YamlMappingNode)collector).Children[new YamlScalarNode("volumes")]).Children.Select(v => ((YamlScalarNode)v).Value!).ToList();
        var shared = Assert.Single(mounts, m => m.EndsWith(":" + dataDirectory, StringComparison.Ordinal));
        // A named volume (declared at the top level), so every replica mounts the same one.
        var volume = shared[..shared.IndexOf(':')];
        Assert.True(Has(Map(Compose(), "volumes"), volume), $"{volume} is a named volume");
        // And the image itself defaults to that folder, whichever engine.
        Assert.Contains("CANDOR_DataDirectory=/data", File.ReadAllText(Path.Combine(OpenApiContractTests.RepositoryRoot(), "deploy", "Containerfile")));
    }

    [Fact]
    public void Collectors_trust_only_the_nginx_address_for_forwarded_client_addresses()
    {
        var compose = Compose();
        var services = Map(compose, "services");
        var nginxAddress = Scalar(Map(Map(services["nginx"], "networks"), "candor"), "ipv4_address");
        var environment = Map(services["collector"], "environment");
        var trusted = environment.Children.Where(e => ((YamlScalarNode)e.Key).Value!.StartsWith("CANDOR_PrivacyPass__TrustedProxies", StringComparison.Ordinal)).ToList();
        var only = Assert.Single(trusted);
        Assert.Equal(nginxAddress, ((YamlScalarNode)only.Value).Value);
        Assert.DoesNotContain("/", nginxAddress); // an address, not a range
        // The fixed address lies outside the range handed out to the other containers.
        var ipam = (YamlMappingNode)((YamlSequenceNode)Map(Map(Map(compose, "networks"), "candor"), "ipam").Children[new YamlScalarNode("config")]).Children.Single();
        var dynamic = System.Net.IPNetwork.Parse(Scalar(ipam, "ip_range"));
        Assert.True(System.Net.IPNetwork.Parse(Scalar(ipam, "subnet")).Contains(System.Net.IPAddress.Parse(nginxAddress)));
        Assert.False(dynamic.Contains(System.Net.IPAddress.Parse(nginxAddress)));
    }

    [Fact]
    public void The_shipped_nginx_configuration_replaces_the_forwarded_address_and_logs_at_emerg_at_http_level()
    {
        var lines = File.ReadAllLines(ShippedNginx.ConfigPath()).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0).ToList();
        Assert.Contains("proxy_set_header X-Forwarded-For $remote_addr;", lines);
        Assert.DoesNotContain(lines, l => l.Contains("$proxy_add_x_forwarded_for", StringComparison.Ordinal));
        // The first error_log comes before any block: at the http level where conf.d files are included.
        int firstLog = lines.FindIndex(l => l.StartsWith("error_log", StringComparison.Ordinal));
        Assert.True(firstLog >= 0 && firstLog < lines.FindIndex(l => l.EndsWith('{')));
        Assert.All(lines.Where(l => l.StartsWith("error_log", StringComparison.Ordinal)), l => Assert.EndsWith(" emerg;", l));
    }

    [NginxFact]
    public void The_shipped_nginx_configuration_passes_nginx_t()
    {
        var main = ShippedNginx.Write(_dir, LoopbackClient.FreePort(), LoopbackClient.FreePort());
        var (exit, output) = ShippedNginx.Test(_dir, main);
        Assert.True(exit == 0, output);
        Assert.Contains("test is successful", output);
    }

    [NginxFact]
    public void Nginx_t_catches_a_broken_configuration()
    {
        // The control: the check above can fail.
        var main = ShippedNginx.Write(_dir, LoopbackClient.FreePort(), LoopbackClient.FreePort(), c => c.Replace("proxy_pass http://candor;", "proxy_pass http://candor", StringComparison.Ordinal));
        var (exit, output) = ShippedNginx.Test(_dir, main);
        Assert.NotEqual(0, exit);
        Assert.Contains("candor.conf", output);
    }
}
