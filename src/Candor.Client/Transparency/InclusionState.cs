namespace Candor.Client.Transparency;

/// <summary>The collector's answer to an inclusion lookup: a proof, not sealed into an epoch yet, or not in the log.</summary>
internal enum InclusionState { Found, Pending, NotInLog }
