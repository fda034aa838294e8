using System.Collections;
using System.Reflection;
using System.Security.Cryptography;
using Candor.Client;
using Candor.Client.Transport;
using Candor.Hpke;
using Candor.Ohttp;

namespace Candor.Tests.Client;

/// <summary>
/// The client is composed Sentry-style (docs/architecture.md, "The client"): the facade creates its parts and
/// hands each what it uses; no part holds the facade, directly, through a delegate it was given, or through a
/// closure that captured it. A part that did could call back into the facade (the worker once fetched its
/// report builder that way), and the composition would no longer show who uses what.
/// </summary>
public sealed class CompositionTests
{
    [Fact]
    public void No_part_of_a_fully_configured_client_holds_the_facade()
    {
        using var kit = new ClientTestKit();
        var options = FullyConfigured(kit);
        using var client = CandorClient.Create(options);
        Assert.NotNull(client.TokenHandler); // the token handler is part of the graph walked below

        Assert.Empty(FacadeReferences.Find(client));
    }

    [Fact]
    public void The_walk_finds_the_facade_behind_a_closure_a_part_holds()
    {
        // Positive control: a handler that captured the client, kept by the announcement service's event,
        // is the shape of the old schedule's callbacks into the facade, and the walk must find it.
        using var kit = new ClientTestKit();
        using var client = CandorClient.Create(FullyConfigured(kit));
        client.AnnouncementsReceived += _ => client.Flush();

        var found = FacadeReferences.Find(client);

        Assert.Contains(found, path => path.StartsWith("_announcements.Received", StringComparison.Ordinal));
    }

    /// <summary>Every part that exists only with some option: a collector, the relay, tokens, announcements, split uploads, the log key.</summary>
    private static CandorClientOptions FullyConfigured(ClientTestKit kit)
    {
        var options = kit.Options(new Uri("http://127.0.0.1:9/"), handler: null);
        options.Transport = TransportMode.Direct;
        var gateway = OhttpGatewayKey.Generate(1, X25519.IsSupported ? KemId.X25519Sha256 : KemId.P256Sha256);
        options.Ohttp = new OhttpTransportOptions { Relay = new Uri("http://127.0.0.1:9/relay"), KeyConfigs = OhttpKeyConfig.EncodeList([gateway.Config]) };
        options.PrivateTokens = true;
        options.SplitUploads = true;
        using var announcementKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        options.AnnouncementKeys = [announcementKey.ExportSubjectPublicKeyInfoPem()];
        return options;
    }

    /// <summary>Walks what the facade's fields reach and returns the path of every reference back to the facade.</summary>
    private static class FacadeReferences
    {
        private const BindingFlags Fields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

        public static List<string> Find(CandorClient client)
        {
            var found = new List<string>();
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance) { client };
            foreach (var field in typeof(CandorClient).GetFields(Fields))
                Visit(field.GetValue(client), field.Name, delegateTarget: false);
            return found;

            void Visit(object? value, string path, bool delegateTarget)
            {
                switch (value)
                {
                    case null or string or Type or MemberInfo:
                        return;
                    case CandorClient c when ReferenceEquals(c, client):
                        found.Add(path);
                        return;
                    case Delegate d:
                        foreach (var one in d.GetInvocationList())
                            Visit(one.Target, $"{path}({one.Method.Name})", delegateTarget: true);
                        return;
                }
                var type = value.GetType();
                if (type.IsPrimitive || type.IsEnum || !seen.Add(value) && !type.IsValueType)
                    return;
                if (value is IEnumerable items && Walked(type) is false)
                {
                    int i = 0;
                    foreach (var item in items)
                        if (i++ < 10_000)
                            Visit(item, $"{path}[{i - 1}]", delegateTarget: false);
                    return;
                }
                // A closure (whatever assembly compiled it), Candor's own types, tuples, and the HTTP client that holds the handler chain.
                if (!delegateTarget && !Walked(type))
                    return;
                for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
                    foreach (var field in t.GetFields(Fields))
                        if (!field.FieldType.IsPrimitive)
                            Visit(field.GetValue(value), $"{path}.{field.Name}", delegateTarget: false);
            }
        }

        private static bool Walked(Type type) =>
            type.Assembly.GetName().Name!.StartsWith("Candor", StringComparison.Ordinal)
            || type.FullName!.StartsWith("System.ValueTuple", StringComparison.Ordinal)
            || type.FullName.StartsWith("System.Collections.Generic.KeyValuePair", StringComparison.Ordinal)
            || typeof(HttpMessageInvoker).IsAssignableFrom(type) || typeof(DelegatingHandler).IsAssignableFrom(type);
    }
}
