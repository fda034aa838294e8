using System.Numerics;

namespace Candor.Vdaf;

/// <summary>
/// The Keccak-p[1600, n_r] permutation (FIPS 202, section 3.3). .NET exposes SHA-3 and SHAKE but not the
/// permutation itself, and TurboSHAKE (RFC 9861) needs the 12-round variant, which runs the last 12
/// of Keccak-f's 24 rounds (round indices 12 to 23).
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

    private static readonly int[] Rotations = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44];
    private static readonly int[] PiLanes = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1];

    /// <summary>Applies the last <paramref name="rounds"/> rounds to the 25 lanes (x + 5y order).</summary>
    public static void Permute(Span<ulong> state, int rounds)
    {
        if (state.Length != 25 || rounds is < 1 or > 24)
            throw new ArgumentException("Keccak-p[1600] has 25 lanes and 1 to 24 rounds");
        Span<ulong> c = stackalloc ulong[5];
        for (var round = 24 - rounds; round < 24; round++)
        {
            // θ
            for (var x = 0; x < 5; x++)
                c[x] = state[x] ^ state[x + 5] ^ state[x + 10] ^ state[x + 15] ^ state[x + 20];
            for (var x = 0; x < 5; x++)
            {
                var d = c[(x + 4) % 5] ^ BitOperations.RotateLeft(c[(x + 1) % 5], 1);
                for (var y = 0; y < 25; y += 5)
                    state[y + x] ^= d;
            }

            // ρ and π
            var carried = state[1];
            for (var i = 0; i < 24; i++)
            {
                var lane = PiLanes[i];
                var next = state[lane];
                state[lane] = BitOperations.RotateLeft(carried, Rotations[i]);
                carried = next;
            }

            // χ
            for (var y = 0; y < 25; y += 5)
            {
                for (var x = 0; x < 5; x++)
                    c[x] = state[y + x];
                for (var x = 0; x < 5; x++)
                    state[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
            }

            // ι
            state[0] ^= RoundConstants[round];
        }
    }
}
