namespace Candor.Client.Transparency;

/// <summary>
/// The collector's answer for one receipt revealed for deletion: <c>deleted</c>, <c>already-deleted</c>,
/// <c>not-found</c> (no such report in its log) or <c>expired</c> (past retention: the raw report is gone
/// already, only published figures remain, and those are never changed).
/// </summary>
public sealed record ReceiptDeletion(Receipt Receipt, string Status);
