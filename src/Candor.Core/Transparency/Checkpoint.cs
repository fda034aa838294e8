using System.Globalization;

namespace Candor.Transparency;

/// <summary>
/// A C2SP tlog-checkpoint body: the origin line naming the log, the tree size in decimal, the base64 root
/// hash, then optional extension lines. It is the text of a signed note, never trusted unsigned.
/// </summary>
internal sealed record Checkpoint(string Origin, ulong Size, byte[] RootHash, IReadOnlyList<string> Extensions)
{
    public Checkpoint(string origin, ulong size, byte[] rootHash) : this(origin, size, rootHash, []) { }

    public string ToNoteText() =>
        $"{Origin}\n{Size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(RootHash)}\n"
        + string.Concat(Extensions.Select(e => e + "\n"));

    public static bool TryParse(string text, out Checkpoint? checkpoint, out string reason)
    {
        checkpoint = null;
        if (!text.EndsWith('\n'))
            return Fail("a checkpoint ends with a newline", out reason);
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
            return Fail("a checkpoint has an origin, a size and a root hash line", out reason);
        if (lines[0].Length == 0)
            return Fail("the origin line is empty", out reason);
        // Leading zeros or signs would give two texts (and two signatures) for one tree head.
        if (lines[1].Length == 0 || !lines[1].All(char.IsAsciiDigit) || (lines[1].Length > 1 && lines[1][0] == '0')
            || !ulong.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            return Fail($"the tree size '{lines[1]}' is not a decimal number without leading zeros", out reason);
        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            return Fail("the root hash is not base64", out reason);
        }
        if (root.Length != MerkleHash.Size)
            return Fail($"the root hash is {root.Length} bytes, not {MerkleHash.Size}", out reason);
        if (lines.Skip(3).Any(l => l.Length == 0))
            return Fail("extension lines must not be empty", out reason);
        checkpoint = new Checkpoint(lines[0], size, root, lines.Skip(3).ToArray());
        reason = "";
        return true;
    }

    private static bool Fail(string why, out string reason)
    {
        reason = why;
        return false;
    }
}
