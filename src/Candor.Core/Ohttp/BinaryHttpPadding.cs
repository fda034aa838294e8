using System.Numerics;

namespace Candor.Ohttp;

/// <summary>
/// The size classes Binary HTTP messages are padded to before they are sealed (RFC 9292, section 3.8:
/// a message may end in any number of zero bytes, which readers skip). The relay sees the length of
/// every sealed request and answer, and it knows the device's address: without padding the length
/// says which metric a split part carries and often which value (358 bytes for <c>linux</c>, 360 for
/// <c>windows</c>). With it, every message up to <see cref="SmallestClass"/> bytes has that one length,
/// which covers every split part of an ordinary registry, token included; larger messages (whole
/// batches, problem answers) take the next power of two up to <see cref="LargestClass"/>, and beyond it
/// the next multiple of <see cref="LargestClass"/>. docs/ohttp.md, "Padding", states the classes and their cost.
/// </summary>
internal static class BinaryHttpPadding
{
    /// <summary>The one size of every split part (and every small answer): 1 KiB.</summary>
    public const int SmallestClass = 1024;

    /// <summary>The largest power-of-two class: 64 KiB, the collector's default body limit.</summary>
    public const int LargestClass = 64 * 1024;

    /// <summary>The length a message of <paramref name="length"/> bytes is padded to.</summary>
    public static int ClassOf(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length <= SmallestClass)
            return SmallestClass;
        if (length <= LargestClass)
            return (int)BitOperations.RoundUpToPowerOf2((uint)length);
        return checked((length + LargestClass - 1) / LargestClass * LargestClass);
    }

    /// <summary><paramref name="message"/> followed by zero bytes up to its class (a new array; the message itself when it is exactly a class).</summary>
    public static byte[] Pad(byte[] message)
    {
        int target = ClassOf(message.Length);
        if (target == message.Length)
            return message;
        var padded = new byte[target]; // zero-filled: the padding RFC 9292 allows
        message.CopyTo(padded, 0);
        return padded;
    }
}
