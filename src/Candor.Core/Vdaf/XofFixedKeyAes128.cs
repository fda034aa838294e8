using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Candor.Vdaf;

/// <summary>
/// VDAF-08's XofFixedKeyAes128 (section 6.2.2): a circular correlation-robust hash from AES-128 under a
/// key derived by TurboSHAKE128 (D = 2) from the tag and binder. The draft reserves it for Poplar1's
/// IDPF; Prio3 uses <see cref="XofTurboShake128"/>. It is here so the draft's XOF vectors all pass.
/// </summary>
internal sealed class XofFixedKeyAes128 : IDisposable
{
    public const int SeedSize = 16;

    private readonly Aes aes = Aes.Create();
    private readonly byte[] seed;
    private readonly byte[] block = new byte[16];
    private long consumed;

    public XofFixedKeyAes128(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> dst, ReadOnlySpan<byte> binder)
    {
        if (seed.Length != SeedSize)
            throw new ArgumentException($"an XofFixedKeyAes128 seed is {SeedSize} bytes", nameof(seed));
        if (dst.Length > 255)
            throw new ArgumentException("a domain separation tag is at most 255 bytes", nameof(dst));
        var sponge = new TurboShake128(2);
        sponge.Absorb([(byte)dst.Length]);
        sponge.Absorb(dst);
        sponge.Absorb(binder);
        var key = new byte[16];
        sponge.Squeeze(key);
        aes.Key = key;
        this.seed = seed.ToArray();
    }

    public void Next(Span<byte> output)
    {
        while (!output.IsEmpty)
        {
            var offset = (int)(consumed % 16);
            if (offset == 0)
                HashBlock(consumed / 16);
            var take = Math.Min(16 - offset, output.Length);
            block.AsSpan(offset, take).CopyTo(output);
            output = output[take..];
            consumed += take;
        }
    }

    /// <summary>block = seed xor le128(index); sigma = hi || (hi xor lo); out = AES(sigma) xor sigma.</summary>
    private void HashBlock(long index)
    {
        Span<byte> input = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128LittleEndian(input, (UInt128)index);
        for (var i = 0; i < 16; i++)
            input[i] ^= seed[i];
        Span<byte> sigma = stackalloc byte[16];
        input[8..].CopyTo(sigma);
        for (var i = 0; i < 8; i++)
            sigma[8 + i] = (byte)(input[8 + i] ^ input[i]);
        aes.EncryptEcb(sigma, block, PaddingMode.None);
        for (var i = 0; i < 16; i++)
            block[i] ^= sigma[i];
    }

    public void NextVector<T>(Span<T> output) where T : unmanaged, IFftField<T>
    {
        Span<byte> buffer = stackalloc byte[T.EncodedSize];
        for (var i = 0; i < output.Length;)
        {
            Next(buffer);
            if (T.TryRead(buffer, out var element))
                output[i++] = element;
        }
    }

    public void Dispose() => aes.Dispose();
}
