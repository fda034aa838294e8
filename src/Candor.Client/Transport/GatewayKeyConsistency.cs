using Candor.Hpke;
using Candor.Ohttp;

namespace Candor.Client.Transport;

/// <summary>
/// Which gateway key a device may seal to, decided in one place (docs/ohttp.md, "Key consistency").
/// The served set is what the relay's shared cache hands every device (the consistency route); the
/// shipped set came with the app; the announced set is what the signed announcement vouches for. The
/// rules, each naming the attack it stops:
/// <list type="number">
/// <item>The served set holds at most one key per suite (KEM): the current one. A gateway serving keys
/// 3-6 at once could have vouched for key 3 to some devices and key 5 to others, so that each device's
/// reports carry its own key id; a consistent gateway never needs two.</item>
/// <item>An announcement vouches for at most two keys per suite: the current and the next.</item>
/// <item>Every served key is shipped or announced: the served configuration must be exactly a set this
/// device already trusts, not merely overlap it (the old rule, (shipped + announced) ∩ served, let the
/// gateway add a key per device beside the honest ones). A served key the announcement does not know
/// means the device has seen two different sets.</item>
/// <item>A key this device saw replaced never comes back: a gateway alternating sets between checks
/// would otherwise sort devices by when they checked.</item>
/// </list>
/// A refusal is a sentence for the device's log; the caller sends nothing.
/// </summary>
internal static class GatewayKeyConsistency
{
    public readonly record struct Verdict(OhttpKeyConfig? Key, string? Refusal);

    public static Verdict Choose(IReadOnlyList<OhttpKeyConfig> shipped, IReadOnlyList<OhttpKeyConfig> announced,
        IReadOnlyList<OhttpKeyConfig> served, IReadOnlyCollection<OhttpKeyConfig> replaced)
    {
        foreach (var suite in served.GroupBy(c => c.Kem).Where(g => g.Count() > 1))
            return Refuse($"The gateway serves {suite.Count()} {Name(suite.Key)} keys at once ({Ids(suite)}); a consistent gateway serves one current key " +
                "per suite, so this set may be made to tell devices apart. Nothing was sent (transport ohttp).");
        foreach (var suite in announced.GroupBy(c => c.Kem).Where(g => g.Count() > 2))
            return Refuse($"The signed announcement vouches for {suite.Count()} {Name(suite.Key)} gateway keys ({Ids(suite)}); at most the current and the next " +
                "are consistent, so its keys are not trusted. Nothing was sent (transport ohttp).");
        var unknown = served.Where(s => !Contains(shipped, s) && !Contains(announced, s)).ToList();
        if (unknown.Count > 0)
            return Refuse(announced.Count == 0
                ? "The collector's gateway serves a key configuration that differs from the one shipped with this application; " +
                  "it could be one made for this device, so nothing was sent (transport ohttp)."
                : $"Two different gateway key sets: the gateway serves key {Ids(unknown)}, which neither shipped with this application nor is vouched for " +
                  "by the signed announcement this device holds; one of the two may be made for this device, so nothing was sent (transport ohttp).");
        var back = served.Where(s => Contains(replaced, s)).ToList();
        if (back.Count > 0)
            return Refuse($"Two different gateway key sets over time: key {Ids(back)} is served again after this device saw it replaced; " +
                "a gateway that alternates sets can sort devices by when they checked, so nothing was sent (transport ohttp).");
        var key = (X25519.IsSupported ? served.FirstOrDefault(c => c.Kem == KemId.X25519Sha256) : null)
            ?? served.FirstOrDefault(c => c.Kem == KemId.P256Sha256);
        return key is null
            ? Refuse("The gateway serves no key configuration this platform can use (X25519 or P-256); nothing was sent (transport ohttp).")
            : new Verdict(key, null);
    }

    public static bool Contains(IEnumerable<OhttpKeyConfig> set, OhttpKeyConfig config)
    {
        var bytes = config.Encode();
        return set.Any(c => c.Encode().AsSpan().SequenceEqual(bytes));
    }

    private static Verdict Refuse(string why) => new(null, why);

    private static string Ids(IEnumerable<OhttpKeyConfig> configs) => "id " + string.Join(", ", configs.Select(c => c.KeyId));

    private static string Name(KemId kem) => kem == KemId.X25519Sha256 ? "X25519" : kem == KemId.P256Sha256 ? "P-256" : $"KEM 0x{(ushort)kem:x4}";
}
