namespace Candor.Client.Options;

/// <summary>
/// When and how reports leave the device: the upload schedule, backoff and the outbox. A group of <see cref="CandorClientOptions"/>, as the collector groups its options: each
/// member forwards to the flat property of the same meaning, which stays (the public API pins it), so
/// <c>options.Uploads.CheckInterval</c> and <c>options.UploadCheckInterval</c> are one setting, and
/// configuration binds either spelling.
/// </summary>
public sealed class UploadOptions
{
    private readonly CandorClientOptions _owner;

    internal UploadOptions(CandorClientOptions owner) => _owner = owner;

    /// <inheritdoc cref="CandorClientOptions.UploadCheckInterval"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.UploadCheckInterval"/>: setting either sets both.</remarks>
    public TimeSpan CheckInterval
    {
        get => _owner.UploadCheckInterval;
        set => _owner.UploadCheckInterval = value;
    }

    /// <inheritdoc cref="CandorClientOptions.FirstUploadDelayMin"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.FirstUploadDelayMin"/>: setting either sets both.</remarks>
    public TimeSpan FirstDelayMin
    {
        get => _owner.FirstUploadDelayMin;
        set => _owner.FirstUploadDelayMin = value;
    }

    /// <inheritdoc cref="CandorClientOptions.FirstUploadDelayMax"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.FirstUploadDelayMax"/>: setting either sets both.</remarks>
    public TimeSpan FirstDelayMax
    {
        get => _owner.FirstUploadDelayMax;
        set => _owner.FirstUploadDelayMax = value;
    }

    /// <inheritdoc cref="CandorClientOptions.MinUploadInterval"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.MinUploadInterval"/>: setting either sets both.</remarks>
    public TimeSpan MinInterval
    {
        get => _owner.MinUploadInterval;
        set => _owner.MinUploadInterval = value;
    }

    /// <inheritdoc cref="CandorClientOptions.MaxUploadInterval"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.MaxUploadInterval"/>: setting either sets both.</remarks>
    public TimeSpan MaxInterval
    {
        get => _owner.MaxUploadInterval;
        set => _owner.MaxUploadInterval = value;
    }

    /// <inheritdoc cref="CandorClientOptions.InitialBackoff"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.InitialBackoff"/>: setting either sets both.</remarks>
    public TimeSpan InitialBackoff
    {
        get => _owner.InitialBackoff;
        set => _owner.InitialBackoff = value;
    }

    /// <inheritdoc cref="CandorClientOptions.MaxBackoff"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.MaxBackoff"/>: setting either sets both.</remarks>
    public TimeSpan MaxBackoff
    {
        get => _owner.MaxBackoff;
        set => _owner.MaxBackoff = value;
    }

    /// <inheritdoc cref="CandorClientOptions.MaxOutboxBatches"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.MaxOutboxBatches"/>: setting either sets both.</remarks>
    public int MaxOutboxBatches
    {
        get => _owner.MaxOutboxBatches;
        set => _owner.MaxOutboxBatches = value;
    }

    /// <inheritdoc cref="CandorClientOptions.SplitUploads"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.SplitUploads"/>: setting either sets both.</remarks>
    public bool? Split
    {
        get => _owner.SplitUploads;
        set => _owner.SplitUploads = value;
    }

    /// <inheritdoc cref="CandorClientOptions.DevelopmentUploads"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.DevelopmentUploads"/>: setting either sets both.</remarks>
    public bool Development
    {
        get => _owner.DevelopmentUploads;
        set => _owner.DevelopmentUploads = value;
    }
}
