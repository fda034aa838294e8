using System.Text.Json;

namespace Candor.Protocol;

/// <summary>Small reads of client text shared by the batch readers, each bounded before anything is allocated.</summary>
internal static class JsonText
{
    private const int MaxEchoedChars = 64;

    public static bool TryReadPeriod(ref Utf8JsonReader reader, out PeriodKey period)
    {
        period = default;
        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (length > 16)
            return false;
        // The usual case: the bytes as sent are the text (no escapes, one segment), parsed where they lie.
        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
            return PeriodKey.TryParseUtf8(reader.ValueSpan, out period);
        Span<char> buffer = stackalloc char[16];
        int n = reader.CopyString(buffer);
        if (PeriodKey.TryParse(buffer[..n], out var p))
        {
            period = p.Value;
            return true;
        }
        return false;
    }

    /// <summary>Client-supplied text echoed in an error is cut short, so answers stay small.</summary>
    public static string? Echo(string? s) => s is null || s.Length <= MaxEchoedChars ? s : s[..MaxEchoedChars] + "…";
}
