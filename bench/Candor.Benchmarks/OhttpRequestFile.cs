using System.Globalization;
using System.Text;
using Candor.Ohttp;

/// <summary>
/// Writes N Oblivious HTTP requests, one hex line each, for the wrk script bench/wrk/ohttp.lua: each
/// a fresh encapsulation (its own HPKE ephemeral key) of a real 16-report batch for
/// org.example.editor, as distinct clients would send. With <c>split</c>, each request is one part of
/// such a batch instead, cut by the client library's own <c>ReportSplitter</c> (split uploads), so
/// <c>count</c> requests carry <c>count</c> reports. Usage:
/// <c>ohttp-requests &lt;base64 application/ohttp-keys&gt; &lt;count&gt; &lt;output file&gt; [split]</c>.
/// </summary>
internal static class OhttpRequestFile
{
    public static int Write(string[] args)
    {
        var config = OhttpKeyConfig.ParseList(Convert.FromBase64String(args[0]))[0];
        int count = int.Parse(args[1], CultureInfo.InvariantCulture);
        // Unseeded: two files of one run must not share idempotency keys, or the second would only replay the first.
        var random = new Random();
        var now = DateTime.UtcNow;
        string week = ISOWeek.GetYear(now) + "-W" + ISOWeek.GetWeekOfYear(now).ToString("00", CultureInfo.InvariantCulture);
        string day = now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        bool split = args.Length > 3 && args[3] == "split";
        using var output = new StreamWriter(args[2]);
        for (int i = 0; i < count;)
        {
            string Pick(params string[] values) => values[random.Next(values.Length)];
            var body = "{\"schema\":3,\"period\":\"" + week + "\",\"reports\":[" + string.Join(",",
                $"{{\"metric\":\"system.os\",\"value\":\"{Pick("linux", "windows", "macos", "other")}\"}}",
                $"{{\"metric\":\"system.desktop\",\"value\":\"{Pick("gnome", "kde", "xfce", "windows", "macos")}\"}}",
                $"{{\"metric\":\"system.arch\",\"value\":\"{Pick("x86_64", "aarch64")}\"}}",
                $"{{\"metric\":\"system.ram_gb\",\"value\":{Pick("2", "4", "8", "16", "32")}}}",
                $"{{\"metric\":\"system.displays\",\"value\":{Pick("1", "2", "3")}}}",
                $"{{\"metric\":\"install.age_days\",\"value\":{Pick("0", "1", "2", "3")}}}",
                $"{{\"metric\":\"app.launches\",\"value\":{Pick("1", "2", "5", "10", "20")}}}",
                $"{{\"metric\":\"files.opened\",\"period\":\"{day}\",\"value\":{Pick("1", "2", "5", "10")}}}",
                $"{{\"metric\":\"files.type_opened\",\"value\":\"{Pick("text", "markdown", "python", "rust", "json")}\"}}",
                $"{{\"metric\":\"feature.spellcheck\",\"value\":{Pick("true", "false")}}}",
                $"{{\"metric\":\"feature.split_view\",\"value\":{Pick("true", "false")}}}",
                $"{{\"metric\":\"feature.dark_theme\",\"value\":{Pick("true", "false")}}}",
                $"{{\"metric\":\"startup.ms\",\"period\":\"{day}\",\"value\":{{\"100\":{random.Next(1, 6)},\"250\":{random.Next(1, 4)}}}}}",
                $"{{\"metric\":\"search.ms\",\"value\":{{\"10\":{random.Next(1, 10)},\"50\":{random.Next(1, 5)}}}}}",
                $"{{\"metric\":\"app.crashes\",\"value\":{Pick("0", "1", "2")}}}",
                $"{{\"metric\":\"candor.active\",\"period\":\"{day}\",\"value\":true}}") + "]}";
            string batchKey = $"bench-{i}-{random.NextInt64():x}";
            var requests = split
                ? Candor.Client.Outbox.ReportSplitter.Split(Encoding.UTF8.GetBytes(body), batchKey).Select(p => (p.Body, p.IdempotencyKey))
                : [(Encoding.UTF8.GetBytes(body), batchKey)];
            foreach (var (content, key) in requests)
            {
                if (i++ == count)
                    break;
                var request = new BinaryHttpRequest
                {
                    Method = "POST",
                    Authority = "collector.invalid",
                    Path = "/v1/apps/org.example.editor/reports",
                    Headers = [new("content-type", "application/json"), new("idempotency-key", key)],
                    Content = content,
                };
                output.WriteLine(Convert.ToHexStringLower(ObliviousRequest.Encapsulate(config, request.EncodePadded()).Encapsulated));
            }
        }
        return 0;
    }
}
