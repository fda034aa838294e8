namespace Candor.Client.Options;

/// <summary>
/// Anonymous Privacy Pass tokens (docs/client.md, "Anonymous tokens"). A group of <see cref="CandorClientOptions"/>, as the collector groups its options: each
/// member forwards to the flat property of the same meaning, which stays (the public API pins it), so
/// <c>options.PrivacyPass.Enabled</c> and <c>options.PrivateTokens</c> are one setting, and
/// configuration binds either spelling.
/// </summary>
public sealed class PrivacyPassClientOptions
{
    private readonly CandorClientOptions _owner;

    internal PrivacyPassClientOptions(CandorClientOptions owner) => _owner = owner;

    /// <inheritdoc cref="CandorClientOptions.PrivateTokens"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.PrivateTokens"/>: setting either sets both.</remarks>
    public bool Enabled
    {
        get => _owner.PrivateTokens;
        set => _owner.PrivateTokens = value;
    }

    /// <inheritdoc cref="CandorClientOptions.TokenIssuer"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.TokenIssuer"/>: setting either sets both.</remarks>
    public Uri? Issuer
    {
        get => _owner.TokenIssuer;
        set => _owner.TokenIssuer = value;
    }

    /// <inheritdoc cref="CandorClientOptions.TokenWalletSize"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.TokenWalletSize"/>: setting either sets both.</remarks>
    public int WalletSize
    {
        get => _owner.TokenWalletSize;
        set => _owner.TokenWalletSize = value;
    }

    /// <inheritdoc cref="CandorClientOptions.TokenRefillInterval"/>
    /// <remarks>The same setting as <see cref="CandorClientOptions.TokenRefillInterval"/>: setting either sets both.</remarks>
    public TimeSpan RefillInterval
    {
        get => _owner.TokenRefillInterval;
        set => _owner.TokenRefillInterval = value;
    }
}
