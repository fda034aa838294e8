namespace Candor.Client.Transparency;

/// <summary>The outcome for one receipt, with the leaf and tree size when proved and a sentence for the user.</summary>
public sealed record ReceiptCheck(Receipt Receipt, ReceiptVerdict Verdict, long? LeafIndex, long? TreeSize, string Detail);
