namespace Candor.Client.Options;

/// <summary>
/// Receipts and checks against the collector's transparency log (docs/transparency.md). A group of <see cref="CandorClientOptions"/>, as the collector groups its options: each
/// member forwards to the flat property of the same meaning, which stays (the public API pins it), so
/// <c>options.TransparencyLog.Commitments</c> and <c>options.ReportCommitments</c> are one setting, and
/// configuration binds either spelling.
/// </summary>
public sealed class TransparencyLogOptions
{
    private readonly CandorClientOptions _owner;

    internal TransparencyLogOptions(CandorClientOptions owner) => _owner = owner;

    /// <inheritdoc cref="CandorClientOptions.ReportCommitments"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.ReportCommitments"/>: setting either sets both.</remarks>
    public bool Commitments
    {
        get => _owner.ReportCommitments;
        set => _owner.ReportCommitments = value;
    }

    /// <inheritdoc cref="CandorClientOptions.LogKey"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.LogKey"/>: setting either sets both.</remarks>
    public string? Key
    {
        get => _owner.LogKey;
        set => _owner.LogKey = value;
    }

    /// <inheritdoc cref="CandorClientOptions.LogMissingAfter"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.LogMissingAfter"/>: setting either sets both.</remarks>
    public TimeSpan MissingAfter
    {
        get => _owner.LogMissingAfter;
        set => _owner.LogMissingAfter = value;
    }

    /// <inheritdoc cref="CandorClientOptions.LogCheckWindow"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.LogCheckWindow"/>: setting either sets both.</remarks>
    public TimeSpan CheckWindow
    {
        get => _owner.LogCheckWindow;
        set => _owner.LogCheckWindow = value;
    }

    /// <inheritdoc cref="CandorClientOptions.DeletionWindow"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.DeletionWindow"/>: setting either sets both.</remarks>
    public TimeSpan DeletionWindow
    {
        get => _owner.DeletionWindow;
        set => _owner.DeletionWindow = value;
    }
}
