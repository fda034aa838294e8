using System.Security.Cryptography;
using Candor.Vdaf;

namespace Candor.Tests.Vdaf;

public sealed class XofVectorTests
{
    [Fact]
    public void XofTurboShake128_matches_the_draft_vector()
    {
        var vector = VdafVectors.Load("XofTurboShake128.json");
        var (seed, dst, binder) = (vector.GetProperty("seed").Hex(), vector.GetProperty("dst").Hex(), vector.GetProperty("binder").Hex());

        Assert.Equal(vector.GetProperty("derived_seed").Hex(), XofTurboShake128.DeriveSeed(seed, dst, binder));
        var expanded = XofTurboShake128.ExpandIntoVector<Field128>(seed, dst, binder, vector.GetProperty("length").GetInt32());
        Assert.Equal(vector.GetProperty("expanded_vec_field128").Hex(), Encode(expanded));
    }

    [Fact]
    public void XofFixedKeyAes128_matches_the_draft_vector()
    {
        var vector = VdafVectors.Load("XofFixedKeyAes128.json");
        var (seed, dst, binder) = (vector.GetProperty("seed").Hex(), vector.GetProperty("dst").Hex(), vector.GetProperty("binder").Hex());

        var derived = new byte[16];
        using (var xof = new XofFixedKeyAes128(seed, dst, binder))
            xof.Next(derived);
        Assert.Equal(vector.GetProperty("derived_seed").Hex(), derived);

        var expanded = new Field128[vector.GetProperty("length").GetInt32()];
        using (var xof = new XofFixedKeyAes128(seed, dst, binder))
            xof.NextVector<Field128>(expanded);
        Assert.Equal(vector.GetProperty("expanded_vec_field128").Hex(), Encode(expanded));
    }

    [Fact]
    public void The_output_stream_does_not_depend_on_how_it_is_read()
    {
        var vector = VdafVectors.Load("XofTurboShake128.json");
        var (seed, dst, binder) = (vector.GetProperty("seed").Hex(), vector.GetProperty("dst").Hex(), vector.GetProperty("binder").Hex());
        var whole = new byte[700];
        new XofTurboShake128(seed, dst, binder).Next(whole);

        // Pieces of odd sizes cross the 168-byte rate boundary at different offsets.
        var pieces = new byte[700];
        var xof = new XofTurboShake128(seed, dst);
        xof.AbsorbBinder(binder.AsSpan(0, 3));
        xof.AbsorbBinder(binder.AsSpan(3));
        for (int offset = 0, size = 1; offset < pieces.Length; offset += size, size = size * 3 % 191 + 1)
            xof.Next(pieces.AsSpan(offset, Math.Min(size, pieces.Length - offset)));
        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void The_sponge_with_24_rounds_is_SHAKE128()
    {
        // Positive control for the permutation: with all 24 rounds and SHAKE's suffix 0x1F the sponge is
        // SHAKE128, which .NET computes independently (OpenSSL). A wrong round constant or rotation fails here.
        Assert.True(Shake128.IsSupported, "SHAKE128 is needed to check the Keccak permutation");
        foreach (var length in new[] { 0, 1, 167, 168, 169, 400 })
        {
            var message = Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 1)).ToArray();
            var sponge = new TurboShake128(0x1F, 24);
            sponge.Absorb(message);
            var ours = new byte[300];
            sponge.Squeeze(ours);
            Assert.Equal(Shake128.HashData(message, 300), ours);

            // And the 12-round TurboSHAKE128 is a different function of the same message.
            Assert.NotEqual(ours[..32], TurboShake128.Hash(message, 0x1F, 32));
        }
    }

    private static byte[] Encode(Field128[] elements)
    {
        var bytes = new byte[elements.Length * 16];
        for (var i = 0; i < elements.Length; i++)
            elements[i].Write(bytes.AsSpan(i * 16));
        return bytes;
    }
}
