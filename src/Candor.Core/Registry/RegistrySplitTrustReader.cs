using System.Globalization;

namespace Candor.Registry;

public static partial class RegistryParser
{
    /// <summary>
    /// The reader's part for <c>split_trust</c>: the DAP task a metric is sent to. Everything a device needs
    /// to seal its shares is checked here, so a registry with a task the device cannot use is refused at
    /// review, not discovered as reports that never arrive.
    /// </summary>
    private sealed partial class Reader
    {
        // Task id -> the metric that declared it first: two metrics in one task would add their values together.
        private readonly Dictionary<string, string> _splitTrustTasks = new(StringComparer.Ordinal);

        private SplitTrustSettings? ReadSplitTrust(RegistryYamlEntry entry, string field, string metric, MetricType? type,
            Dictionary<string, RegistryYamlEntry> metricFields, ValueSpace lengths)
        {
            if (entry.Value is not RegistryYamlMapping map)
            {
                Problem(entry.Key, field, $"split_trust must be a mapping of {string.Join(", ", SplitTrustKeys)}, not {Describe(entry.Value)}");
                return null;
            }
            var fields = Fields(map, field, SplitTrustKeys);
            if (metricFields.ContainsKey("local_privacy"))
                Problem(entry.Key, field, "split_trust and local_privacy cannot be combined yet: the collector would publish randomised answers as counts");
            var fits = type is { } t ? SplitTrustSettings.Fits(t, lengths.Values, lengths.Buckets, lengths.Transform) : null;
            if (type == MetricType.Histogram)
                Problem(entry.Key, field, "split_trust is not supported on histogram metrics yet (counters, quantities, enums and flags only)");

            var taskId = RequiredText(fields, "task_id", entry.Key, field, "task_id is required: the DAP task's id, 32 bytes in unpadded base64url");
            if (taskId is not null && DecodedLength(taskId) != 32)
            {
                Problem(fields["task_id"].Key, Join(field, "task_id"), $"task_id must be 32 bytes in unpadded base64url (43 characters), not '{taskId}'");
                taskId = null;
            }
            else if (taskId is not null && _splitTrustTasks.TryGetValue(taskId, out var other))
            {
                Problem(fields["task_id"].Key, Join(field, "task_id"), $"task_id is already the task of metric '{other}': each metric needs its own DAP task");
                taskId = null;
            }
            else if (taskId is not null)
                _splitTrustTasks[taskId] = metric;

            var leader = ReadAggregatorUrl(fields, "leader", entry.Key, field);
            var helper = ReadAggregatorUrl(fields, "helper", entry.Key, field);
            if (leader is not null && helper is not null && leader == helper)
            {
                Problem(fields["helper"].Key, Join(field, "helper"), "the helper must be another server than the leader: one server holding both shares sees every value");
                helper = null;
            }
            var leaderKey = ReadHpkeConfig(fields, "leader_hpke_config", entry.Key, field);
            var helperKey = ReadHpkeConfig(fields, "helper_hpke_config", entry.Key, field);
            if (leaderKey is not null && leaderKey == helperKey)
            {
                Problem(fields["helper_hpke_config"].Key, Join(field, "helper_hpke_config"), "the helper's HPKE configuration is the leader's: each aggregator needs its own key");
                helperKey = null;
            }
            var vdaf = fields.TryGetValue("vdaf", out var vdafEntry) ? ReadVdaf(vdafEntry, Join(field, "vdaf"), fits) : null;
            if (vdafEntry is null)
                Problem(entry.Key, Join(field, "vdaf"), fits is { } f
                    ? $"vdaf is required: {(f.Vdaf == SplitTrustSettings.Count ? "{ type: count }" : $"{{ type: histogram, length: {f.Length}, chunk_length: <1 to {f.Length}> }}")}"
                    : "vdaf is required: { type: count } or { type: histogram, length: N, chunk_length: C }");

            if (taskId is null || leader is null || helper is null || leaderKey is null || helperKey is null || vdaf is null || fits is null)
                return null;
            return new SplitTrustSettings(taskId, leader, helper, leaderKey, helperKey, vdaf.Value.Type, vdaf.Value.Length, vdaf.Value.ChunkLength);
        }

        /// <summary>The three things that set a metric's value space, for checking its VDAF.</summary>
        private readonly record struct ValueSpace(int Values, int Buckets, NumberTransform Transform);

        private Uri? ReadAggregatorUrl(Dictionary<string, RegistryYamlEntry> fields, string key, RegistryYamlNode at, string field)
        {
            var text = RequiredText(fields, key, at, field, $"{key} is required: the {key}'s base URL (https://...)");
            if (text is null)
                return null;
            // Plain http only to this machine: a test or a demo. Anywhere else the shares would travel readable.
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
                || !(uri.Scheme == "https" || (uri.Scheme == "http" && uri.IsLoopback))
                || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                Problem(fields[key].Key, Join(field, key), $"{key} must be an https URL without query or fragment (http only to localhost), not '{text}'");
                return null;
            }
            return uri.AbsolutePath.EndsWith("/", StringComparison.Ordinal) ? uri : new Uri(uri.AbsoluteUri + "/");
        }

        /// <summary>A DAP HpkeConfig: id (1 byte), KEM, KDF and AEAD ids (2 bytes each), then a 2-byte length and the public key.</summary>
        private string? ReadHpkeConfig(Dictionary<string, RegistryYamlEntry> fields, string key, RegistryYamlNode at, string field)
        {
            var text = RequiredText(fields, key, at, field,
                $"{key} is required: the aggregator's DAP HpkeConfig in unpadded base64url (candor dap task prints it)");
            if (text is null)
                return null;
            var bytes = Decode(text);
            if (bytes is null || bytes.Length < 10 || bytes.Length != 9 + (bytes[7] << 8 | bytes[8]) || bytes[8] == 0 && bytes[7] == 0)
            {
                Problem(fields[key].Key, Join(field, key), $"{key} must be a DAP HpkeConfig in unpadded base64url (id, KEM, KDF, AEAD, public key)");
                return null;
            }
            return text;
        }

        private (string Type, int Length, int ChunkLength)? ReadVdaf(RegistryYamlEntry entry, string field, (string Vdaf, int Length)? fits)
        {
            if (entry.Value is not RegistryYamlMapping map)
            {
                Problem(entry.Key, field, $"vdaf must be a mapping such as {{ type: histogram, length: 4, chunk_length: 2 }}, not {Describe(entry.Value)}");
                return null;
            }
            var fields = Fields(map, field, VdafKeys);
            var type = RequiredText(fields, "type", entry.Key, field, "vdaf needs a type: count or histogram");
            if (type is null)
                return null;
            if (type != SplitTrustSettings.Count && type != SplitTrustSettings.Histogram)
            {
                Problem(fields["type"].Key, Join(field, "type"), $"unknown vdaf type '{type}'; allowed: count, histogram");
                return null;
            }
            if (fits is not { } f)
                return null; // the metric's type is wrong or not supported: reported already
            if (type != f.Vdaf)
            {
                Problem(fields["type"].Key, Join(field, "type"), $"this metric is aggregated as a Prio3 {f.Vdaf}, not a {type}");
                return null;
            }
            if (type == SplitTrustSettings.Count)
            {
                foreach (var extra in new[] { "length", "chunk_length" })
                    if (fields.TryGetValue(extra, out var e))
                        Problem(e.Key, Join(field, extra), $"{extra} is not allowed on a count");
                return (type, 0, 0);
            }
            var length = ReadWhole(fields, "length", entry.Key, field, $"length is required: {f.Length}, the number of values this metric can take");
            var chunk = ReadWhole(fields, "chunk_length", entry.Key, field, $"chunk_length is required: 1 to {f.Length} (about the square root of the length is fastest)");
            if (length is { } n && n != f.Length)
            {
                Problem(fields["length"].Key, Join(field, "length"), $"length must be {f.Length}, the number of values this metric can take, not {n}");
                return null;
            }
            if (chunk is { } c && (c < 1 || c > f.Length))
            {
                Problem(fields["chunk_length"].Key, Join(field, "chunk_length"), $"chunk_length must be from 1 to {f.Length}, not {c}");
                return null;
            }
            return length is null || chunk is null ? null : (type, length.Value, chunk.Value);
        }

        private int? ReadWhole(Dictionary<string, RegistryYamlEntry> fields, string key, RegistryYamlNode at, string field, string missing)
        {
            if (Required(fields, key, at, field, missing) is not { } entry)
                return null;
            if (entry.Value is RegistryYamlScalar { IsPlain: true, IsNull: false } scalar && IsDigits(scalar.Value)
                && int.TryParse(scalar.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                return n;
            Problem(entry.Key, Join(field, key), $"{key} must be a whole number, not {Describe(entry.Value)}");
            return null;
        }

        private static int DecodedLength(string text) => Decode(text)?.Length ?? -1;

        private static byte[]? Decode(string text)
        {
            if (text.IndexOfAny(['=', '+', '/']) >= 0 || text.Length % 4 == 1)
                return null;
            var padded = text.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            try
            {
                return Convert.FromBase64String(padded);
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
