namespace Candor.Transparency;

/// <summary>One entry of the report log. Entries carry nothing but a commitment, so a leaf says nothing
/// about the report's value, its app or its sender.</summary>
internal readonly record struct LogEntry(LogEntryKind Kind, byte[] Commitment)
{
    public const int Size = 1 + ReportCommitment.Size;

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        bytes[0] = (byte)Kind;
        Commitment.CopyTo(bytes, 1);
        return bytes;
    }

    public byte[] LeafHash() => MerkleHash.Leaf(ToBytes());

    public static bool TryParse(ReadOnlySpan<byte> bytes, out LogEntry entry)
    {
        entry = default;
        if (bytes.Length != Size || bytes[0] > (byte)LogEntryKind.Deletion)
            return false;
        entry = new LogEntry((LogEntryKind)bytes[0], bytes[1..].ToArray());
        return true;
    }
}
