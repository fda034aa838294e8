using System.Text;
using Candor.Collector.Azafea;
using Candor.Tests.Infrastructure;

namespace Candor.Tests.Azafea;

/// <summary>
/// GLib (the daemon's and Azafea's GVariant implementation) against the test serializer and the
/// collector's reader, both ways: what the tests send is what a daemon sends, and what a daemon sends
/// is what the collector reads.
/// </summary>
public sealed class GVariantInteropTests
{
    [GlibFact]
    public async Task GLib_reads_the_test_uploads_in_normal_form_as_Azafea_requires()
    {
        var request = Uploads.Request(
            [new Singular(Uploads.Search, new GVariant("(us)", new GTuple(1L, "cats"))), new Singular(Uploads.Spell, null)],
            [new Aggregate(Uploads.AgeCount, "2026-11-19", 120, new GVariant("a{ss}", new List<object> { new GTuple("k", "v") }))]);

        var printed = Encoding.UTF8.GetString(await GlibFactAttribute.RunAsync("""
            import sys
            from gi.repository import GLib
            data = sys.stdin.buffer.read()
            v = GLib.Variant.new_from_bytes(GLib.VariantType('(xxsa{ss}ya(aysxmv)a(ayssumv))'), GLib.Bytes.new(data), False)
            assert v.is_normal_form(), 'not in normal form'
            assert v.get_data_as_bytes().get_data() == data
            print(v.print_(False))
            """, request));

        Assert.Contains("'eos-eos3.7-amd64-amd64.190419-225606.base'", printed);
        Assert.Contains("'cats'", printed);
        Assert.Contains("'2026-11-19', 120", printed);
        Assert.Contains("{'k': 'v'}", printed);
    }

    [GlibFact]
    public async Task An_upload_GLib_serializes_like_the_daemon_is_read_by_the_collector()
    {
        // emer-daemon.c builds the request with g_variant_new (REQUEST_TYPE_STRING, ...); so does this.
        var bytes = await GlibFactAttribute.RunAsync("""
            import sys, uuid
            from gi.repository import GLib
            def ay(u): return uuid.UUID(u).bytes
            v = GLib.Variant('(xxsa{ss}ya(aysxmv)a(ayssumv))', (10, 20, 'image', {'facility': 'x'}, 1,
                [(ay('b02266bc-b010-44b2-ae0f-8f116ffa50eb'), '4.0.0', 5, GLib.Variant('(us)', (2, 'dogs')))],
                [(ay('e6541049-9462-4db5-96df-1977f3051578'), '4.0.0', '2026-11-19', 7, None)]))
            sys.stdout.buffer.write(v.get_data_as_bytes().get_data())
            """, []);

        var request = AzafeaRequest.Parse(bytes);

        Assert.Equal((10L, 20L), (request.RelativeTimestamp, request.AbsoluteTimestamp));
        var s = Assert.Single(request.Singulars);
        Assert.Equal(Guid.Parse(Uploads.Search), s.Event);
        Assert.Equal("(us)", s.Payload!.Type);
        Assert.Equal("dogs", s.Payload.Children[1].Scalar);
        var a = Assert.Single(request.Aggregates);
        Assert.Equal((Guid.Parse(Uploads.AgeCount), "2026-11-19", 7u), (a.Event, a.PeriodStart, a.Count));
        Assert.Null(a.Payload);
    }
}
