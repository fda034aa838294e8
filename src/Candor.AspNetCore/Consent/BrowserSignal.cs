using Microsoft.AspNetCore.Http;

namespace Candor.AspNetCore.Consent;

/// <summary>
/// The browser's opt-out signal: <c>Sec-GPC: 1</c> (Global Privacy Control) or <c>DNT: 1</c>. Only the
/// exact value <c>1</c> counts; <c>DNT: 0</c> or anything else is no signal, never an opt-in.
/// </summary>
public static class BrowserSignal
{
    /// <summary>True when the request carries a signal the options honour, with the exact value <c>1</c>.</summary>
    public static bool SignalsOptOut(HttpRequest request, CandorConsentOptions options) =>
        (options.HonorGlobalPrivacyControl && IsOne(request.Headers["Sec-GPC"]))
        || (options.HonorDoNotTrack && IsOne(request.Headers["DNT"]));

    private static bool IsOne(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count == 1 && values[0]?.Trim() == "1";
}
