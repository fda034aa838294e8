namespace Candor.Client.Transparency;

/// <summary>An inclusion lookup's answer; <see cref="Hashes"/> is the audit path when <see cref="State"/> is Found.</summary>
internal sealed record InclusionAnswer(InclusionState State, ulong LeafIndex, ulong TreeSize, IReadOnlyList<byte[]> Hashes);
