namespace Candor.Vdaf;

/// <summary>What went wrong, so that an aggregator can count rejected reports by cause.</summary>
internal enum VdafError
{
    /// <summary>A message has the wrong length or holds an integer not below the field modulus.</summary>
    Decode,

    /// <summary>The report failed verification: a proof did not check out or the joint randomness differs.</summary>
    Verify,

    /// <summary>A measurement or parameter outside what the VDAF accepts (a client-side error).</summary>
    Input,
}

/// <summary>A VDAF step refused its input (VDAF-08's ERR_DECODE, ERR_VERIFY and ERR_INPUT).</summary>
internal sealed class VdafException(VdafError error, string message) : Exception(message)
{
    public VdafError Error { get; } = error;
}
