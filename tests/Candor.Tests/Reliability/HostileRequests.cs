using System.IO.Compression;
using System.Text;

namespace Candor.Tests.Reliability;

/// <summary>
/// A deterministic generator of malformed and hostile requests for the ingest endpoint. Every case is
/// invalid by construction (never a random mutation that might happen to be valid), tagged with the
/// family it belongs to and the statuses that are precise answers for it.
/// </summary>
public static class HostileRequests
{
    public sealed record Case(string Family, string App, byte[] Body, string? ContentType, string? ContentEncoding, int[] Expected);

    private const string App = "org.example.test";
    private const string Valid = """{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "linux" }, { "metric": "app.launches", "value": 10 } ] }""";

    public static IEnumerable<Case> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var families = new Func<Random, Case>[]
        {
            Truncated, RandomBytes, DeepNesting, HugeNumbers, WrongTypes, UnknownThings, InvalidUtf8, UnicodeTricks,
            DuplicateKeys, WrongContentType, UnknownSchema, UnknownApp, BadPeriods, ExtraFields, BadHistograms,
        };
        for (int i = 0; i < count; i++)
        {
            // The expensive families (size limits, bombs) a few dozen times, the rest evenly.
            if (i % 400 == 0) yield return Oversized(random);
            else if (i % 400 == 200) yield return GzipBomb(random);
            else yield return families[i % families.Length](random);
        }
    }

    private static Case Json(string family, string body, params int[] expected) =>
        new(family, App, Encoding.UTF8.GetBytes(body), "application/json", null, expected);

    private static Case Truncated(Random r)
    {
        int cut = r.Next(0, Valid.Length - 1);
        return Json("truncated", Valid[..cut], 400);
    }

    private static Case RandomBytes(Random r)
    {
        var bytes = new byte[r.Next(1, 300)];
        r.NextBytes(bytes);
        bytes[0] = (byte)"[\"x{ \0\xff"[r.Next(7)]; // never a valid object start followed by a valid batch
        return new("random-bytes", App, bytes, "application/json", null, [400]);
    }

    private static Case DeepNesting(Random r)
    {
        int depth = r.Next(7, 5000);
        var open = r.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        return Json("deep-nesting", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "startup.ms", "value": {{nested}} } ] }""", 400);
    }

    private static readonly string[] Numbers = ["1e400", "-1e400", "1e308", "9223372036854775808", "-9223372036854775809", "10.0", "1E1", "-0", "0.1",
        new string('9', 5000), "1" + new string('0', 400), "10e-1"];

    private static Case HugeNumbers(Random r)
    {
        var n = Numbers[r.Next(Numbers.Length)];
        var where = r.Next(3);
        return where switch
        {
            0 => Json("numbers", $$"""{ "schema": {{n}}, "period": "2026-W47", "reports": [ { "metric": "app.launches", "value": 10 } ] }""", 400),
            1 => Json("numbers", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "app.launches", "value": {{n}} } ] }""", 400),
            _ => Json("numbers", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "startup.ms", "value": { "100": {{n}} } } ] }""", 400),
        };
    }

    private static readonly string[] Values = ["null", "true", "\"10\"", "[10]", "{}", "\"\"", "{\"a\":1}", "[]"];

    private static Case WrongTypes(Random r)
    {
        var v = Values[r.Next(Values.Length)];
        return r.Next(4) switch
        {
            0 => Json("wrong-types", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "app.launches", "value": {{v}} } ] }""", 400),
            1 => Json("wrong-types", $$"""{ "schema": 1, "period": {{v}}, "reports": [ { "metric": "app.launches", "value": 10 } ] }""", 400),
            2 => Json("wrong-types", $$"""{ "schema": 1, "period": "2026-W47", "reports": {{v}} }""", 400),
            _ => Json("wrong-types", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": {{v}}, "value": 10 } ] }""", 400),
        };
    }

    private static Case UnknownThings(Random r) => r.Next(3) switch
    {
        0 => Json("unknown", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "m{{r.Next()}}.x", "value": 1 } ] }""", 400),
        1 => Json("unknown", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "os{{r.Next()}}" } ] }""", 400),
        _ => Json("unknown", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "app.launches", "value": {{3 + r.Next(0, 2)}} } ] }""", 400),
    };

    private static readonly byte[][] BadUtf8 = [[0xC3, 0x28], [0xA0, 0xA1], [0xE2, 0x28, 0xA1], [0xF0, 0x28, 0x8C, 0xBC], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xF8, 0x88, 0x80, 0x80, 0x80]];

    private static Case InvalidUtf8(Random r)
    {
        var body = Encoding.UTF8.GetBytes(Valid);
        var bad = BadUtf8[r.Next(BadUtf8.Length)];
        // Inside a string value (the "linux"), so the bytes are read as text.
        int at = Array.IndexOf(body, (byte)'l', Valid.IndexOf("linux", StringComparison.Ordinal));
        var result = body[..at].Concat(bad).Concat(body[(at + 1)..]).ToArray();
        return new("invalid-utf8", App, result, "application/json", null, [400]);
    }

    private static readonly string[] Tricks = ["systеm.os" /* Cyrillic e */, "system.os\u200B", "\uFEFFsystem.os", "system.os\u0000", "SYSTEM.OS", "system.\u006Fs\u0301",
        "\\ud800", "system.os ", " system.os", "ｓｙｓｔｅｍ.os"];

    private static Case UnicodeTricks(Random r)
    {
        var t = Tricks[r.Next(Tricks.Length)].Replace("\u0000", "\\u0000");
        return r.Next(2) == 0
            ? Json("unicode", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "{{t}}", "value": "linux" } ] }""", 400)
            : Json("unicode", $$"""{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "{{t.Replace("system.os", "linux")}}" } ] }""", 400);
    }

    private static Case DuplicateKeys(Random r) => r.Next(3) switch
    {
        0 => Json("duplicate-keys", """{ "schema": 1, "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "linux" } ] }""", 400),
        1 => Json("duplicate-keys", """{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "linux", "value": "macos" } ] }""", 400),
        _ => Json("duplicate-keys", """{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "system.os", "value": "linux" }, { "metric": "system.os", "value": "macos" } ] }""", 400),
    };

    private static readonly string?[] ContentTypes = [null, "text/plain", "application/xml", "application/json; charset=latin1", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "*/*", "json"];

    private static Case WrongContentType(Random r) =>
        new("content-type", App, Encoding.UTF8.GetBytes(Valid), ContentTypes[r.Next(ContentTypes.Length)], null, [415]);

    private static Case UnknownSchema(Random r) =>
        Json("unknown-schema", Valid.Replace("\"schema\": 1", $"\"schema\": {r.Next(3, 100000)}"), 409);

    private static Case UnknownApp(Random r) =>
        new("unknown-app", r.Next(2) == 0 ? $"org.example.x{r.Next()}" : "..%2F..%2Fetc", Encoding.UTF8.GetBytes(Valid), "application/json", null, [404]);

    private static readonly string[] Periods = ["2026-W99", "2026-13-01", "2026-02-30", "26-W47", "2026-W47 ", "2026-11-22T00:00:00Z", "", "2026-w47", "2099-W01", "1970-01-01", "２０２６-W47"];

    private static Case BadPeriods(Random r) =>
        Json("periods", Valid.Replace("2026-W47", Periods[r.Next(Periods.Length)]), 400);

    private static Case ExtraFields(Random r) => r.Next(3) switch
    {
        0 => Json("extra-fields", Valid.Replace("\"schema\": 1,", $"\"schema\": 1, \"client_id\": \"{Guid.NewGuid()}\","), 400),
        1 => Json("extra-fields", Valid.Replace("\"value\": \"linux\"", "\"value\": \"linux\", \"ts\": 1732233600"), 400),
        _ => Json("extra-fields", Valid + " {}", 400),
    };

    private static Case BadHistograms(Random r) => r.Next(4) switch
    {
        0 => Json("histograms", """{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "startup.ms", "value": { "150": 1 } } ] }""", 400),
        1 => Json("histograms", """{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "startup.ms", "value": { "100": -1 } } ] }""", 400),
        2 => Json("histograms", """{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "startup.ms", "value": { "100": 1000000001 } } ] }""", 400),
        _ => Json("histograms", """{ "schema": 1, "period": "2026-W47", "reports": [ { "metric": "startup.ms", "value": {} } ] }""", 400),
    };

    private static Case Oversized(Random r)
    {
        var body = Valid + new string(' ', 64 * 1024 + r.Next(1, 100_000));
        return Json("oversized", body, 413);
    }

    private static Case GzipBomb(Random r)
    {
        using var m = new MemoryStream();
        using (var gz = new GZipStream(m, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gz.Write(Encoding.UTF8.GetBytes(Valid));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 20 + r.Next(0, 10); i++) gz.Write(zeros);
        }
        return new("gzip-bomb", App, m.ToArray(), "application/json", "gzip", [413]);
    }
}
