using System.Buffers.Binary;
using System.Text;

namespace Candor.Transparency;

/// <summary>
/// The C2SP signed-note format: text ending in a newline, a blank line, then one or more lines
/// "— name base64(keyID || signature)". Unknown keys are ignored; a known key whose signature fails
/// rejects the note, and so does a note no known key signed.
/// </summary>
internal static class SignedNote
{
    private const string Dash = "\u2014 ";

    public static string Sign(string text, EcdsaNoteKey key)
    {
        CheckText(text);
        var signature = key.Sign(Encoding.UTF8.GetBytes(text));
        var blob = new byte[4 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, key.KeyId);
        signature.CopyTo(blob, 4);
        return text + "\n" + Dash + key.Name + " " + Convert.ToBase64String(blob) + "\n";
    }

    public static bool TryOpen(string note, IEnumerable<INoteVerifier> knownKeys, out string text, out string reason)
    {
        text = "";
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
            return Fail("not a signed note: no blank line before the signatures", out reason);
        if (note.Any(c => c < ' ' && c != '\n'))
            return Fail("a signed note contains no control characters", out reason);
        var body = note[..(split + 1)];
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var keys = knownKeys.ToList();
        var verified = 0;
        foreach (var line in note[(split + 2)..^1].Split('\n'))
        {
            if (!line.StartsWith(Dash, StringComparison.Ordinal))
                return Fail($"malformed signature line '{line}'", out reason);
            var parts = line[Dash.Length..].Split(' ');
            byte[] blob;
            try
            {
                blob = parts.Length == 2 ? Convert.FromBase64String(parts[1]) : [];
            }
            catch (FormatException)
            {
                blob = [];
            }
            if (blob.Length < 5)
                return Fail($"malformed signature line '{line}'", out reason);
            var id = BinaryPrimitives.ReadUInt32BigEndian(blob);
            var key = keys.FirstOrDefault(k => k.Name == parts[0] && k.KeyId == id);
            if (key is null)
                continue;
            if (!key.Verify(bodyBytes, blob[4..]))
                return Fail($"the signature of {key.Name} does not verify", out reason);
            verified++;
        }
        if (verified == 0)
            return Fail("no known key signed this note", out reason);
        text = body;
        reason = "";
        return true;
    }

    private static void CheckText(string text)
    {
        if (!text.EndsWith('\n') || text.Any(c => c < ' ' && c != '\n'))
            throw new ArgumentException("Note text ends with a newline and has no other control characters.", nameof(text));
    }

    private static bool Fail(string why, out string reason)
    {
        reason = why;
        return false;
    }
}
