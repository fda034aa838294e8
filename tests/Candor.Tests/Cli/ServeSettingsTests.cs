using Candor.Cli.Commands;

namespace Candor.Tests.Cli;

public sealed class ServeSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("candor-settings-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Defaults_apply_when_nothing_is_set()
    {
        var o = ServeCommand.LoadOptions(null, new Dictionary<string, string?>());
        Assert.Equal(["http://127.0.0.1:5080"], o.Urls);
        Assert.Equal(90, o.RetentionDays);
    }

    [Fact]
    public void The_file_then_the_environment_override_defaults_and_lists_replace_rather_than_add()
    {
        var file = Path.Combine(_dir, "s.json");
        File.WriteAllText(file, """{ "Candor": { "RetentionDays": 60, "MaxBodyBytes": 2048, "Urls": [ "http://127.0.0.1:6000" ], "Apps": { "org.example.editor": { "NextReportMinSeconds": 60 } } } }""");
        var o = ServeCommand.LoadOptions(file, new Dictionary<string, string?>
        {
            ["CANDOR_RetentionDays"] = "30",
            ["CANDOR_RegistryFiles__0"] = "/etc/a.yaml",
            ["CANDOR_Apps__org.example.editor__NextReportMaxSeconds"] = "120",
            ["OTHER_RetentionDays"] = "5",
        });
        Assert.Equal(30, o.RetentionDays);
        Assert.Equal(2048, o.MaxBodyBytes);
        Assert.Equal(["http://127.0.0.1:6000"], o.Urls);
        Assert.Equal(["/etc/a.yaml"], o.RegistryFiles);
        Assert.Equal((60, 120), o.NextReportWindow("org.example.editor"));
    }

    [Fact]
    public void Environment_urls_replace_the_file_urls()
    {
        var file = Path.Combine(_dir, "s.json");
        File.WriteAllText(file, """{ "Candor": { "Urls": [ "http://127.0.0.1:6000", "http://127.0.0.1:6001" ] } }""");
        var o = ServeCommand.LoadOptions(file, new Dictionary<string, string?> { ["CANDOR_Urls__0"] = "http://127.0.0.1:7000" });
        Assert.Equal(["http://127.0.0.1:7000"], o.Urls);
    }

    [Fact]
    public void A_missing_settings_file_is_a_readable_error()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ServeCommand.LoadOptions(Path.Combine(_dir, "nope.json"), new Dictionary<string, string?>()));
        Assert.Contains("nope.json does not exist", e.Message);
    }
}
