namespace Candor.Transparency;

/// <summary>A known public key that can check signature lines of a C2SP signed note.</summary>
internal interface INoteVerifier
{
    string Name { get; }

    /// <summary>The 32-bit key ID that, with <see cref="Name"/>, picks out this key's signature lines.</summary>
    uint KeyId { get; }

    bool Verify(byte[] noteText, byte[] signature);
}
