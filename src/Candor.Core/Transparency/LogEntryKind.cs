namespace Candor.Transparency;

/// <summary>What a leaf of the report log says: a report was committed, or a committed report was deleted
/// by its owner (deletion by receipt). Stored as the leaf's entry bytes <c>kind[1] || commitment[32]</c>;
/// the leaf hash is RFC 9162's <c>SHA-256(0x00 || entry)</c>.</summary>
internal enum LogEntryKind : byte
{
    Report = 0x00,
    Deletion = 0x01,
}
