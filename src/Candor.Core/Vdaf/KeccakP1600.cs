using System.Numerics;
using System.Runtime.CompilerServices;

namespace Candor.Vdaf;

/// <summary>
/// The Keccak-p[1600, n_r] permutation (FIPS 202, section 3.3). .NET exposes SHA-3 and SHAKE but not the
/// permutation itself, and TurboSHAKE (RFC 9861) needs the 12-round variant, which runs the last 12
/// of Keccak-f's 24 rounds (round indices 12 to 23). The 25 lanes live in locals for the whole
/// permutation (the steps are unrolled, generated from the FIPS 202 offset table), which keeps the XOF,
/// the bulk of Prio3's preparation cost, free of bounds checks and memory traffic.
/// </summary>
internal static class KeccakP1600
{
    private static readonly ulong[] RoundConstants =
    [
        0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
        0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
        0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
        0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
        0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
        0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
    ];

    /// <summary>Applies the last <paramref name="rounds"/> rounds to the 25 lanes (index x + 5y).</summary>
    [SkipLocalsInit]
    public static void Permute(Span<ulong> state, int rounds)
    {
        if (state.Length != 25 || rounds is < 1 or > 24)
            throw new ArgumentException("Keccak-p[1600] has 25 lanes and 1 to 24 rounds");
        var a00 = state[0];
        var a01 = state[1];
        var a02 = state[2];
        var a03 = state[3];
        var a04 = state[4];
        var a05 = state[5];
        var a06 = state[6];
        var a07 = state[7];
        var a08 = state[8];
        var a09 = state[9];
        var a10 = state[10];
        var a11 = state[11];
        var a12 = state[12];
        var a13 = state[13];
        var a14 = state[14];
        var a15 = state[15];
        var a16 = state[16];
        var a17 = state[17];
        var a18 = state[18];
        var a19 = state[19];
        var a20 = state[20];
        var a21 = state[21];
        var a22 = state[22];
        var a23 = state[23];
        var a24 = state[24];
        for (var round = 24 - rounds; round < 24; round++)
        {
            // θ
            var c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
            var c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
            var c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
            var c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
            var c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
            var d0 = c4 ^ BitOperations.RotateLeft(c1, 1);
            var d1 = c0 ^ BitOperations.RotateLeft(c2, 1);
            var d2 = c1 ^ BitOperations.RotateLeft(c3, 1);
            var d3 = c2 ^ BitOperations.RotateLeft(c4, 1);
            var d4 = c3 ^ BitOperations.RotateLeft(c0, 1);

            // ρ and π: B[y, 2x + 3y] = rot(A[x, y], r[x, y])
            var b00 = (a00 ^ d0);
            var b10 = BitOperations.RotateLeft((a01 ^ d1), 1);
            var b20 = BitOperations.RotateLeft((a02 ^ d2), 62);
            var b05 = BitOperations.RotateLeft((a03 ^ d3), 28);
            var b15 = BitOperations.RotateLeft((a04 ^ d4), 27);
            var b16 = BitOperations.RotateLeft((a05 ^ d0), 36);
            var b01 = BitOperations.RotateLeft((a06 ^ d1), 44);
            var b11 = BitOperations.RotateLeft((a07 ^ d2), 6);
            var b21 = BitOperations.RotateLeft((a08 ^ d3), 55);
            var b06 = BitOperations.RotateLeft((a09 ^ d4), 20);
            var b07 = BitOperations.RotateLeft((a10 ^ d0), 3);
            var b17 = BitOperations.RotateLeft((a11 ^ d1), 10);
            var b02 = BitOperations.RotateLeft((a12 ^ d2), 43);
            var b12 = BitOperations.RotateLeft((a13 ^ d3), 25);
            var b22 = BitOperations.RotateLeft((a14 ^ d4), 39);
            var b23 = BitOperations.RotateLeft((a15 ^ d0), 41);
            var b08 = BitOperations.RotateLeft((a16 ^ d1), 45);
            var b18 = BitOperations.RotateLeft((a17 ^ d2), 15);
            var b03 = BitOperations.RotateLeft((a18 ^ d3), 21);
            var b13 = BitOperations.RotateLeft((a19 ^ d4), 8);
            var b14 = BitOperations.RotateLeft((a20 ^ d0), 18);
            var b24 = BitOperations.RotateLeft((a21 ^ d1), 2);
            var b09 = BitOperations.RotateLeft((a22 ^ d2), 61);
            var b19 = BitOperations.RotateLeft((a23 ^ d3), 56);
            var b04 = BitOperations.RotateLeft((a24 ^ d4), 14);

            // χ
            a00 = b00 ^ (~b01 & b02);
            a01 = b01 ^ (~b02 & b03);
            a02 = b02 ^ (~b03 & b04);
            a03 = b03 ^ (~b04 & b00);
            a04 = b04 ^ (~b00 & b01);
            a05 = b05 ^ (~b06 & b07);
            a06 = b06 ^ (~b07 & b08);
            a07 = b07 ^ (~b08 & b09);
            a08 = b08 ^ (~b09 & b05);
            a09 = b09 ^ (~b05 & b06);
            a10 = b10 ^ (~b11 & b12);
            a11 = b11 ^ (~b12 & b13);
            a12 = b12 ^ (~b13 & b14);
            a13 = b13 ^ (~b14 & b10);
            a14 = b14 ^ (~b10 & b11);
            a15 = b15 ^ (~b16 & b17);
            a16 = b16 ^ (~b17 & b18);
            a17 = b17 ^ (~b18 & b19);
            a18 = b18 ^ (~b19 & b15);
            a19 = b19 ^ (~b15 & b16);
            a20 = b20 ^ (~b21 & b22);
            a21 = b21 ^ (~b22 & b23);
            a22 = b22 ^ (~b23 & b24);
            a23 = b23 ^ (~b24 & b20);
            a24 = b24 ^ (~b20 & b21);

            // ι
            a00 ^= RoundConstants[round];
        }
        state[0] = a00;
        state[1] = a01;
        state[2] = a02;
        state[3] = a03;
        state[4] = a04;
        state[5] = a05;
        state[6] = a06;
        state[7] = a07;
        state[8] = a08;
        state[9] = a09;
        state[10] = a10;
        state[11] = a11;
        state[12] = a12;
        state[13] = a13;
        state[14] = a14;
        state[15] = a15;
        state[16] = a16;
        state[17] = a17;
        state[18] = a18;
        state[19] = a19;
        state[20] = a20;
        state[21] = a21;
        state[22] = a22;
        state[23] = a23;
        state[24] = a24;
    }
}
