using System.Runtime.InteropServices;

namespace Candor.Vdaf;

/// <summary>
/// TurboSHAKE128 (RFC 9861): a sponge over Keccak-p[1600, 12] with a 168-byte rate and a domain
/// separation byte D in 0x01..0x7F. Absorb the message in any number of pieces, then squeeze any
/// number of bytes in any number of pieces; the output stream is the same however it is split.
/// </summary>
internal sealed class TurboShake128
{
    private const int Rate = 168;

    private readonly ulong[] lanes = new ulong[25];
    private readonly byte domain;
    private readonly int rounds;
    private int position;
    private bool squeezing;

    public TurboShake128(byte domainSeparation)
        : this(domainSeparation, 12)
    {
    }

    /// <summary>With 24 rounds and D = 0x1F this is SHAKE128, which lets a test check the permutation against .NET's.</summary>
    internal TurboShake128(byte domainSeparation, int rounds)
    {
        if (domainSeparation is < 0x01 or > 0x7F)
            throw new ArgumentOutOfRangeException(nameof(domainSeparation), "TurboSHAKE's D is in 0x01..0x7F");
        // The byte view below reads lanes as little-endian words, which is what Keccak specifies.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("TurboSHAKE128 here assumes a little-endian machine");
        domain = domainSeparation;
        this.rounds = rounds;
    }

    private Span<byte> StateBytes => MemoryMarshal.AsBytes(lanes.AsSpan());

    public void Absorb(ReadOnlySpan<byte> data)
    {
        if (squeezing)
            throw new InvalidOperationException("TurboSHAKE128 cannot absorb after it has started squeezing");
        var state = StateBytes;
        while (!data.IsEmpty)
        {
            var take = Math.Min(Rate - position, data.Length);
            for (var i = 0; i < take; i++)
                state[position + i] ^= data[i];
            position += take;
            data = data[take..];
            if (position == Rate)
            {
                KeccakP1600.Permute(lanes, rounds);
                position = 0;
            }
        }
    }

    public void Squeeze(Span<byte> output)
    {
        if (!squeezing)
        {
            // pad10*1 after M || D: D already carries the first 1 bit, the last byte of the block the final one.
            var padded = StateBytes;
            padded[position] ^= domain;
            padded[Rate - 1] ^= 0x80;
            KeccakP1600.Permute(lanes, rounds);
            position = 0;
            squeezing = true;
        }
        var state = StateBytes;
        while (!output.IsEmpty)
        {
            if (position == Rate)
            {
                KeccakP1600.Permute(lanes, rounds);
                position = 0;
            }
            var take = Math.Min(Rate - position, output.Length);
            state.Slice(position, take).CopyTo(output);
            position += take;
            output = output[take..];
        }
    }

    /// <summary>TurboSHAKE128(M, D, L) in one call.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> message, byte domainSeparation, int length)
    {
        var sponge = new TurboShake128(domainSeparation);
        sponge.Absorb(message);
        var output = new byte[length];
        sponge.Squeeze(output);
        return output;
    }
}
