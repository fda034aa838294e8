using System.Globalization;

namespace Candor.Client.LocalStore;

/// <summary>
/// The keys this device accepted last and the keys it saw replaced, per kind (gateway keys, token keys),
/// for the rule that a replaced key is never taken again (docs/ohttp.md, "Key consistency", rule 4): an
/// operator that alternates sets between checks would otherwise sort devices by when they checked. Kept
/// in the local store (table <c>key_history</c>), so a restart of the app does not forget what the device
/// saw and an operator cannot serve an old key again to a device that restarted. The history is public
/// keys the operator served to everyone; it is never sent, and erasing the user's data keeps it.
/// </summary>
/// <remarks>
/// Memory first: a change holds at once and is written after; a write the disk refuses (a full disk) is
/// retried at the next use, and until then the rule holds from memory. Reading the history fails closed:
/// a store that cannot be read throws (the caller sends nothing), rather than answering "never replaced".
/// Without a store (an <see cref="Transport.ObliviousHttpHandler"/> used on its own) the history lives
/// for the process only.
/// </remarks>
internal sealed class KeyHistory(ClientStore? store, StorageFault? fault = null)
{
    public const string GatewayKeys = "ohttp-gateway";
    public const string TokenKeys = "token-issuer";

    private const string Current = "current", Replaced = "replaced";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Kind> _kinds = new(StringComparer.Ordinal);

    private sealed class Kind
    {
        public List<byte[]> Current = [];
        public List<byte[]> Replaced = [];
        public bool Loaded;
        public bool Unsaved;
    }

    /// <summary>True when this device saw <paramref name="key"/> replaced, in this run or an earlier one.</summary>
    public bool WasReplaced(string kind, byte[] key)
    {
        lock (_lock)
            return Contains(Load(kind).Replaced, key);
    }

    /// <summary>The device accepted <paramref name="keys"/>: every key of the set it accepted before that is not among them is replaced, for good.</summary>
    public void Accepted(string kind, IReadOnlyList<byte[]> keys)
    {
        lock (_lock)
        {
            var k = Load(kind);
            var gone = k.Current.Where(old => !Contains(keys, old) && !Contains(k.Replaced, old)).ToList();
            bool same = gone.Count == 0 && k.Current.Count == keys.Count && keys.All(n => Contains(k.Current, n));
            if (same && !k.Unsaved)
                return;
            k.Replaced.AddRange(gone);
            k.Current = [.. keys];
            k.Unsaved = true;
            TrySave(kind, k);
        }
    }

    private Kind Load(string kind)
    {
        if (!_kinds.TryGetValue(kind, out var k))
            _kinds[kind] = k = new Kind();
        if (store is null)
            return k;
        if (!k.Loaded)
        {
            // Throws for a store that cannot be read: the key check must not pass on a history it could not see.
            var rows = store.Use(c =>
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT key, state FROM key_history WHERE kind = $k;";
                cmd.Parameters.AddWithValue("$k", kind);
                using var r = cmd.ExecuteReader();
                var list = new List<(byte[] Key, string State)>();
                while (r.Read())
                    if (r.GetValue(0) is byte[] key && r.GetValue(1) is string state)
                        list.Add((key, state));
                return list;
            });
            foreach (var (key, state) in rows)
            {
                if (state == Replaced && !Contains(k.Replaced, key))
                    k.Replaced.Add(key);
                else if (state == Current && !k.Unsaved && !Contains(k.Current, key))
                    k.Current.Add(key);
            }
            k.Current.RemoveAll(c => Contains(k.Replaced, c));
            k.Loaded = true;
        }
        if (k.Unsaved)
            TrySave(kind, k);
        return k;
    }

    private void TrySave(string kind, Kind k)
    {
        if (store is null)
        {
            k.Unsaved = false;
            return;
        }
        try
        {
            var now = store.Now().ToString("O", CultureInfo.InvariantCulture);
            store.Use(c =>
            {
                using var tx = c.BeginTransaction();
                // Replaced keys are only ever added; the current set is rewritten.
                ClientStore.Execute(c, tx, "DELETE FROM key_history WHERE kind = $k AND state = $s;", ("$k", kind), ("$s", Current));
                foreach (var key in k.Replaced)
                    ClientStore.Execute(c, tx, "INSERT INTO key_history (kind, key, state, seen_at) VALUES ($k, $b, $s, $t) ON CONFLICT (kind, key) DO UPDATE SET state = excluded.state;",
                        ("$k", kind), ("$b", key), ("$s", Replaced), ("$t", now));
                foreach (var key in k.Current)
                    ClientStore.Execute(c, tx, "INSERT INTO key_history (kind, key, state, seen_at) VALUES ($k, $b, $s, $t) ON CONFLICT (kind, key) DO NOTHING;",
                        ("$k", kind), ("$b", key), ("$s", Current), ("$t", now));
                tx.Commit();
            });
            k.Unsaved = false;
        }
        catch (Exception e) when (StorageFault.IsStorageError(e))
        {
            // The rule holds from memory meanwhile; the next use writes it.
            fault?.Failed("remembering the replaced keys", e);
        }
    }

    private static bool Contains(IEnumerable<byte[]> set, byte[] key) => set.Any(k => k.AsSpan().SequenceEqual(key));
}
