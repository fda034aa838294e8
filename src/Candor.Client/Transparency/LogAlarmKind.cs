namespace Candor.Client.Transparency;

/// <summary>A way the collector's log was caught misbehaving.</summary>
public enum LogAlarmKind
{
    /// <summary>The checkpoint is not signed by the log key (or not a checkpoint at all).</summary>
    BadSignature,

    /// <summary>The new checkpoint has fewer leaves than one this device saw before: the log was rolled back.</summary>
    SmallerTree,

    /// <summary>The new checkpoint does not extend the one this device saw before (same size and another root, or a failed consistency proof): the log forked or was rewritten.</summary>
    Fork,

    /// <summary>An inclusion proof does not lead to the verified checkpoint.</summary>
    InclusionProofFailed,
}
