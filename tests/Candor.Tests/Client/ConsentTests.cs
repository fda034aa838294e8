using Candor.Client.Consent;
using Candor.Client;

namespace Candor.Tests.Client;

/// <summary>Who decides whether Candor collects, in the documented order of precedence, and what consent covers.</summary>
public sealed class ConsentTests : IDisposable
{
    private readonly ClientTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public void Consent_is_unset_by_default_and_the_app_should_ask()
    {
        using var client = _kit.Create();
        Assert.Equal(new EffectiveConsent(ConsentState.Unset, ConsentSource.Default, "the user has not been asked yet"), client.Consent);
        Assert.True(client.NeedsConsentPrompt);
    }

    [Fact]
    public void Do_not_track_means_denied_when_the_user_has_not_chosen()
    {
        _kit.Environment["DO_NOT_TRACK"] = "1";
        using var client = _kit.Create();
        Assert.Equal(ConsentState.Denied, client.Consent.State);
        Assert.Equal(ConsentSource.DoNotTrack, client.Consent.Source);
        Assert.False(client.NeedsConsentPrompt);
    }

    [Fact]
    public void A_CI_environment_means_denied_when_the_user_has_not_chosen()
    {
        _kit.Environment["CI"] = "true";
        using var client = _kit.Create();
        Assert.Equal(ConsentSource.ContinuousIntegration, client.Consent.Source);
        Assert.Equal(ConsentState.Denied, client.Consent.State);
    }

    [Fact]
    public void An_explicit_user_choice_wins_over_do_not_track_and_CI()
    {
        _kit.Environment["DO_NOT_TRACK"] = "1";
        _kit.Environment["CI"] = "true";
        using var client = _kit.Create();
        client.GrantConsent();
        Assert.Equal(new EffectiveConsent(ConsentState.Granted, ConsentSource.User, "the user agreed"), client.Consent);
    }

    [Fact]
    public void A_machine_policy_wins_over_everything_even_a_users_yes()
    {
        using (var client = _kit.Create())
            client.GrantConsent();
        Directory.CreateDirectory(Path.GetDirectoryName(_kit.PolicyFile)!);
        File.WriteAllText(_kit.PolicyFile, """{ "enabled": false }""");
        using var again = _kit.Create();
        Assert.Equal(ConsentSource.MachinePolicy, again.Consent.Source);
        Assert.Equal(ConsentState.Denied, again.Consent.State);
        again.Counter("app.launches").Increment();
        Assert.Empty(again.Show());
    }

    [Fact]
    public void A_policy_file_that_cannot_be_read_fails_closed()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_kit.PolicyFile)!);
        File.WriteAllText(_kit.PolicyFile, "{ not json");
        using var client = _kit.Create();
        client.GrantConsent();
        Assert.Equal(ConsentSource.MachinePolicy, client.Consent.Source);
        Assert.Contains("cannot be read", client.Consent.Reason);
    }

    [Fact]
    public void A_policy_that_enables_changes_nothing()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_kit.PolicyFile)!);
        File.WriteAllText(_kit.PolicyFile, """{ "enabled": true }""");
        using var client = _kit.Create();
        Assert.Equal(ConsentState.Unset, client.Consent.State);
    }

    [Fact]
    public void The_policy_path_comes_from_CANDOR_POLICY_FILE_unless_configured()
    {
        Assert.Equal("/x/policy.json", MachinePolicy.ResolvePath(null, n => n == "CANDOR_POLICY_FILE" ? "/x/policy.json" : null));
        Assert.Equal(MachinePolicy.DefaultPath, MachinePolicy.ResolvePath(null, _ => null));
        Assert.Equal("/y.json", MachinePolicy.ResolvePath("/y.json", _ => "/x/policy.json"));
    }

    [Fact]
    public void Consent_persists_across_restarts()
    {
        using (var client = _kit.Create())
            client.GrantConsent();
        using var again = _kit.Create();
        Assert.Equal(ConsentState.Granted, again.Consent.State);
        Assert.False(again.NeedsConsentPrompt);
    }

    [Fact]
    public void Reset_returns_to_unset_and_erases_unsent_data()
    {
        using var client = _kit.Create();
        client.GrantConsent();
        client.Counter("app.launches").Increment();
        client.ResetConsent();
        Assert.Equal(ConsentState.Unset, client.Consent.State);
        Assert.Empty(client.Show());
    }

    [Fact]
    public void A_disabled_category_records_nothing_and_its_unsent_data_is_erased()
    {
        using var client = _kit.Create();
        client.GrantConsent();
        client.Histogram("startup.ms").Record(300);
        client.Counter("app.launches").Increment();
        client.DisableCategory("performance");
        client.Histogram("startup.ms").Record(300);
        var shown = client.Show();
        Assert.DoesNotContain(shown, i => i.Metric == "startup.ms");
        Assert.Contains(shown, i => i.Metric == "app.launches");

        client.EnableCategory("performance");
        client.Histogram("startup.ms").Record(300);
        Assert.Contains(client.Show(), i => i.Metric == "startup.ms" && i.Summary == "1 in the range from 250");
    }

    [Fact]
    public void A_disabled_metric_records_nothing()
    {
        using var client = _kit.Create();
        client.GrantConsent();
        client.DisableMetric("system.os");
        client.Enum("system.os").Set("linux");
        client.Counter("app.launches").Increment();
        Assert.DoesNotContain(client.Show(), i => i.Metric == "system.os");
        Assert.Equal(["system.os"], client.Status().DisabledMetrics);
    }

    [Fact]
    public void Unknown_category_names_are_refused_with_the_list_of_categories()
    {
        using var client = _kit.Create();
        var e = Assert.Throws<ArgumentException>(() => client.DisableCategory("perf"));
        Assert.Contains("usage, system, performance", e.Message);
    }

    [Fact]
    public void A_newer_registry_keeps_old_metrics_working_and_new_ones_off_until_asked_again()
    {
        using (var v1 = _kit.Create())
            v1.GrantConsent();

        using var v2 = _kit.Create(registry: ClientTestKit.V2);
        Assert.True(v2.NeedsConsentPrompt);
        var prompt = v2.ConsentPromptText("Test App");
        Assert.Contains("Dark mode was on at least once during the week.", prompt);
        Assert.DoesNotContain("The operating system family.", prompt); // already agreed to

        v2.Flag("feature.darkmode").Set();
        v2.Counter("app.launches").Increment();
        var shown = v2.Show();
        Assert.DoesNotContain(shown, i => i.Metric == "feature.darkmode");
        Assert.Contains(shown, i => i.Metric == "app.launches");

        v2.GrantConsent();
        Assert.False(v2.NeedsConsentPrompt);
        v2.Flag("feature.darkmode").Set();
        Assert.Contains(v2.Show(), i => i.Metric == "feature.darkmode");
        Assert.Equal(2, v2.ConsentRecord.RegistryVersion);
    }

    [Fact]
    public void The_consent_prompt_is_generated_from_the_registry()
    {
        using var client = _kit.Create();
        var text = client.ConsentPromptText("Test App");
        foreach (var m in client.Registry.Metrics.Where(m => m.Category != "performance" || true))
            Assert.Contains(m.Description, text);
        Assert.Contains("Why: Decide which platforms get packages first.", text);
        Assert.Contains("Nothing is collected until you answer yes.", text);
    }

    [Fact]
    public void A_damaged_consent_file_is_treated_as_unset_never_as_granted()
    {
        File.WriteAllText(Path.Combine(_kit.DataDirectory, ConsentRecord.FileName), "{ \"state\": ");
        using var client = _kit.Create();
        Assert.Equal(ConsentState.Unset, client.Consent.State);
    }
}
