using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Azafea;

/// <summary>One singular event of a test upload: UUID, OS version, nanoseconds since boot, payload (a <see cref="GVariant"/> or null).</summary>
public sealed record Singular(string Event, GVariant? Payload, long RelativeNs = Uploads.BootNs - 15_000_000_000, string OsVersion = "4.0.0");

/// <summary>One aggregate event: UUID, period start, count, payload.</summary>
public sealed record Aggregate(string Event, string PeriodStart, long Count, GVariant? Payload, string OsVersion = "4.0.0");

/// <summary>
/// eos-event-recorder-daemon uploads as Azafea documents them (vendored in src/Candor.Collector/Azafea/README.md):
/// the GVariant <c>(xxsa{ss}ya(aysxmv)a(ayssumv))</c>, gzip-compressed, PUT to
/// <c>{server}/3/{sha512 of the uncompressed body}</c> with <c>X-Endless-Content-Encoding: gzip</c>.
/// </summary>
public static class Uploads
{
    /// <summary>The sender booted this long before it sent the upload.</summary>
    public const long BootNs = 1_000_000_000_000;

    public const string Search = "b02266bc-b010-44b2-ae0f-8f116ffa50eb";   // (us) → app.launches (counter)
    public const string Network = "5fae6179-e108-4962-83be-c909259c0584";  // (uu) field 1 → system.os via values
    public const string Spell = "9a0cf836-12cd-4887-95d8-e48ccdf6e552";    // no payload → feature.spellcheck (flag)
    public const string Startup = "ab839fd2-a927-456c-8c18-f1136722666b";  // u → startup.ms (histogram)
    public const string Os = "b1f87a3f-a464-48d4-8e35-35dd45659010";       // s → system.os (enum, payload as the value)
    public const string AgeCount = "e6541049-9462-4db5-96df-1977f3051578"; // aggregate count → install.age_days (log10)
    public const string Unmapped = "72fea371-15d1-401d-8a40-c47f379f64fd";

    public static string MappingYaml => $$"""
        registry: {{TestRegistries.App}}
        events:
          {{Search}}:
            metric: app.launches
            payload: (us)
          {{Network}}:
            metric: system.os
            payload: (uu)
            field: 1
            values: { "70": linux, "20": windows }
          {{Spell}}:
            metric: feature.spellcheck
          {{Startup}}:
            metric: startup.ms
            payload: u
            value: payload
          {{Os}}:
            metric: system.os
            payload: s
          {{AgeCount}}:
            metric: install.age_days
            value: count
        """;

    /// <summary>The request GVariant's bytes; the machine-level fields take the given values.</summary>
    public static byte[] Request(IEnumerable<Singular> singulars, IEnumerable<Aggregate>? aggregates = null, DateTimeOffset? sentAt = null,
        string image = "eos-eos3.7-amd64-amd64.190419-225606.base", Dictionary<string, string>? site = null, long flags = 1)
    {
        long absolute = ((sentAt ?? TestRegistries.Now.AddSeconds(-5)).ToUnixTimeMilliseconds()) * 1_000_000;
        var value = new GTuple(BootNs, absolute, image,
            (site ?? new Dictionary<string, string> { ["facility"] = "Library" }).Select(kv => new GTuple(kv.Key, kv.Value)).ToList(),
            flags,
            singulars.Select(s => new GTuple(Id(s.Event), s.OsVersion, s.RelativeNs, s.Payload is null ? null : new GJust(s.Payload))).ToList(),
            (aggregates ?? []).Select(a => new GTuple(Id(a.Event), a.OsVersion, a.PeriodStart, a.Count, a.Payload is null ? null : new GJust(a.Payload))).ToList());
        return GVariantWriter.Write("(xxsa{ss}ya(aysxmv)a(ayssumv))", value);
    }

    /// <summary>A version 2 request (Endless OS 2.1.5 to 3.x): network send number, timestamps, machine id, user ids, sequences.</summary>
    public static byte[] Version2Request(string machineIdText) =>
        GVariantWriter.Write("(ixxaya(uayxmv)a(uayxxmv)a(uaya(xmv)))", new GTuple(7L, BootNs, TestRegistries.Now.ToUnixTimeMilliseconds() * 1_000_000,
            System.Text.Encoding.ASCII.GetBytes(machineIdText),
            new List<object> { new GTuple(1000L, Id(Search), BootNs - 1, new GJust(new GVariant("(us)", new GTuple(1L, "query")))) },
            new List<object>(), new List<object>()));

    public static byte[] Id(string uuid) => Guid.Parse(uuid).ToByteArray(bigEndian: true);

    public static byte[] Gzip(byte[] data)
    {
        using var m = new MemoryStream();
        using (var gz = new GZipStream(m, CompressionLevel.Optimal, leaveOpen: true))
            gz.Write(data);
        return m.ToArray();
    }

    public static string Sha512(byte[] data) => Convert.ToHexStringLower(SHA512.HashData(data));

    /// <summary>PUTs as the daemon does: the checksum of <paramref name="request"/> in the path, the body gzipped.</summary>
    public static Task<HttpResponseMessage> PutAsync(CollectorHost host, byte[] request, string version = "3", string app = TestRegistries.App) =>
        PutRawAsync(host, Gzip(request), Sha512(request), "gzip", version, app);

    public static async Task<HttpResponseMessage> PutRawAsync(CollectorHost host, byte[] body, string sha512, string? encoding, string version = "3", string app = TestRegistries.App)
    {
        using var message = new HttpRequestMessage(HttpMethod.Put, $"/v1/apps/{app}/azafea/{version}/{sha512}") { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (encoding is not null)
            message.Headers.Add("X-Endless-Content-Encoding", encoding);
        return await host.Client.SendAsync(message);
    }
}
