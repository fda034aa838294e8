namespace Candor.Hpke;

/// <summary>HPKE key derivation functions (RFC 9180, section 7.2): HKDF with the named hash.</summary>
internal enum KdfId : ushort
{
    HkdfSha256 = 0x0001,
    HkdfSha384 = 0x0002,
    HkdfSha512 = 0x0003,
}
