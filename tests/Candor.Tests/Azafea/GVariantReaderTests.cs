using Candor.Collector.Azafea;

namespace Candor.Tests.Azafea;

/// <summary>The collector reads GVariant in normal form only, as Azafea does: anything else is refused whole, never read as zeros.</summary>
public sealed class GVariantReaderTests
{
    [Fact]
    public void What_the_test_serializer_writes_reads_back_value_for_value()
    {
        var bytes = GVariantWriter.Write("(ya{ss}a(aysxmv)mvb)", new GTuple(3L,
            new List<object> { new GTuple("a", "b"), new GTuple("c", "") },
            new List<object> { new GTuple(new byte[] { 1, 2 }, "os", -5L, new GJust(new GVariant("(uu)", new GTuple(20L, 70L)))) },
            null, true));

        var v = GVariantReader.Read("(ya{ss}a(aysxmv)mvb)", bytes);

        Assert.Equal(3L, v.Children[0].Scalar);
        Assert.Equal(["a", "b", "c", ""], v.Children[1].Children.SelectMany(e => e.Children).Select(c => (string)c.Scalar!));
        var e = Assert.Single(v.Children[2].Children);
        Assert.Equal(new byte[] { 1, 2 }, e.Children[0].Scalar);
        Assert.Equal(-5L, e.Children[2].Scalar);
        Assert.Equal("(uu)", e.Children[3].Children[0].Unwrapped().Type);
        Assert.Equal(70L, e.Children[3].Children[0].Unwrapped().Children[1].Scalar);
        Assert.Empty(v.Children[3].Children);
        Assert.Equal(true, v.Children[4].Scalar);
    }

    [Fact]
    public void Values_not_in_normal_form_are_refused()
    {
        var good = GVariantWriter.Write("(ysx)", new GTuple(1L, "ab", 7L));
        Assert.Equal(7L, GVariantReader.Read("(ysx)", good).Children[2].Scalar); // positive control

        var padding = (byte[])good.Clone();
        padding[4] = 0xff; // the padding before x
        var noNul = GVariantWriter.Write("s", "ab")[..2];
        var badBool = new byte[] { 2 };
        var badOffset = (byte[])GVariantWriter.Write("as", new List<object> { "a", "b" }).Clone();
        badOffset[^1] = 200;
        var notUtf8 = new byte[] { 0xc3, 0x28, 0 };
        var variantBadType = new byte[] { 1, 0, (byte)'(' };

        Assert.Throws<GVariantFormatException>(() => GVariantReader.Read("(ysx)", padding));
        Assert.Throws<GVariantFormatException>(() => GVariantReader.Read("s", noNul));
        Assert.Throws<GVariantFormatException>(() => GVariantReader.Read("b", badBool));
        Assert.Throws<GVariantFormatException>(() => GVariantReader.Read("as", badOffset));
        Assert.Throws<GVariantFormatException>(() => GVariantReader.Read("s", notUtf8));
        Assert.Throws<GVariantFormatException>(() => GVariantReader.Read("v", variantBadType));
        Assert.Throws<GVariantFormatException>(() => GVariantReader.Read("(ysx)", good[..^1]));
    }

    [Fact]
    public void Deeply_nested_variants_are_refused_before_the_stack_runs_out()
    {
        // <<<...<uint32 1>...>>> 100 000 deep, built iteratively: a variant's value sits at its start.
        var bytes = new List<byte> { 1, 0, 0, 0, 0, (byte)'u' };
        for (int i = 0; i < 100_000; i++)
            bytes.AddRange([0, (byte)'v']);

        Assert.Throws<GVariantFormatException>(() => GVariantReader.Read("v", bytes.ToArray()));
    }
}
