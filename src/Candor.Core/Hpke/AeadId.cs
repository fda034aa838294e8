namespace Candor.Hpke;

/// <summary>HPKE AEADs (RFC 9180, section 7.3). Export-only (0xFFFF) is not offered: OHTTP always seals.</summary>
internal enum AeadId : ushort
{
    Aes128Gcm = 0x0001,
    Aes256Gcm = 0x0002,
    ChaCha20Poly1305 = 0x0003,
}
