namespace Candor.Hpke;

/// <summary>HPKE key encapsulation mechanisms Candor implements (RFC 9180, section 7.1).</summary>
internal enum KemId : ushort
{
    P256Sha256 = 0x0010,
    X25519Sha256 = 0x0020,
}
