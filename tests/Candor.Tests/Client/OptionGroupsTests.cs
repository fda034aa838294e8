using Candor.Client;
using Microsoft.Extensions.Configuration;

namespace Candor.Tests.Client;

/// <summary>
/// <see cref="CandorClientOptions"/> is grouped as the collector's options are (uploads, Privacy Pass, the
/// transparency log, announcement fetches), and the flat properties the public API pins stay: a group's
/// member and its flat property are one setting, in code and from configuration.
/// </summary>
public sealed class OptionGroupsTests
{
    [Fact]
    public void A_group_member_and_its_flat_property_are_one_setting()
    {
        var o = new CandorClientOptions();
        o.Uploads.MaxOutboxBatches = 7;
        o.Uploads.Split = true;
        o.Uploads.FirstDelayMin = TimeSpan.FromDays(1);
        o.PrivacyPass.Enabled = true;
        o.PrivacyPass.Issuer = new Uri("https://issuer.example/");
        o.TransparencyLog.Commitments = false;
        o.TransparencyLog.DeletionWindow = TimeSpan.FromHours(5);
        o.AnnouncementFetches.AppVersion = "2.1";
        o.AnnouncementFetches.Keys.Add("key");
        Assert.Equal(7, o.MaxOutboxBatches);
        Assert.True(o.SplitUploads);
        Assert.Equal(TimeSpan.FromDays(1), o.FirstUploadDelayMin);
        Assert.True(o.PrivateTokens);
        Assert.Equal(new Uri("https://issuer.example/"), o.TokenIssuer);
        Assert.False(o.ReportCommitments);
        Assert.Equal(TimeSpan.FromHours(5), o.DeletionWindow);
        Assert.Equal("2.1", o.AppVersion);
        Assert.Equal(["key"], o.AnnouncementKeys);

        o.MaxBackoff = TimeSpan.FromHours(3);
        o.LogKey = "a key";
        o.TokenWalletSize = 9;
        o.Language = "de";
        Assert.Equal(TimeSpan.FromHours(3), o.Uploads.MaxBackoff);
        Assert.Equal("a key", o.TransparencyLog.Key);
        Assert.Equal(9, o.PrivacyPass.WalletSize);
        Assert.Equal("de", o.AnnouncementFetches.Language);
    }

    [Fact]
    public void Configuration_binds_the_grouped_and_the_flat_spelling()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Uploads:MaxOutboxBatches"] = "7",
            ["Uploads:InitialBackoff"] = "00:10:00",
            ["PrivacyPass:Enabled"] = "true",
            ["TransparencyLog:DeletionWindow"] = "1.00:00:00",
            ["AnnouncementFetches:AppVersion"] = "2.1",
            ["MaxBackoff"] = "02:00:00",
        }).Build();
        var o = new CandorClientOptions();
        configuration.Bind(o);
        Assert.Equal(7, o.MaxOutboxBatches);
        Assert.Equal(TimeSpan.FromMinutes(10), o.InitialBackoff);
        Assert.True(o.PrivateTokens);
        Assert.Equal(TimeSpan.FromDays(1), o.DeletionWindow);
        Assert.Equal("2.1", o.AppVersion);
        Assert.Equal(TimeSpan.FromHours(2), o.Uploads.MaxBackoff);
    }

    [Fact]
    public void Every_group_member_forwards_to_a_flat_property()
    {
        // A member that kept its own field would silently split one setting in two.
        var o = new CandorClientOptions();
        foreach (var group in new object[] { o.Uploads, o.PrivacyPass, o.TransparencyLog, o.AnnouncementFetches })
        {
            var fields = group.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public);
            Assert.Equal([typeof(CandorClientOptions)], fields.Select(f => f.FieldType));
        }
    }
}
