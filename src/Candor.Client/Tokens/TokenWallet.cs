using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Candor.PrivacyPass;
using Microsoft.Data.Sqlite;

namespace Candor.Client.Tokens;

/// <summary>
/// Privacy Pass tokens fetched ahead of time, kept in the client's own SQLite file beside the outbox
/// (table <c>private_tokens</c>), so a crash loses none and an upload never has to fetch one: a fetch
/// right before each upload would tell the issuer when this address uploads.
/// A token is bound to the outbox batch it was first attached to (by the batch's Idempotency-Key),
/// so a retry of that batch spends the same token and the collector answers it as a replay.
/// </summary>
internal sealed class TokenWallet
{
    private readonly string _connectionString;
    private readonly Lock _lock = new();

    public TokenWallet(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = true }.ToString();
        _directory = Path.GetDirectoryName(Path.GetFullPath(databasePath))!;
    }

    private readonly string _directory;

    /// <summary>The token keys this device took and saw replaced; the client passes one kept in its local store, so a restart does not forget.</summary>
    internal LocalStore.KeyHistory History { get; init; } = new(null);
    private volatile bool _created;

    /// <summary>Tokens not yet attached to a batch.</summary>
    public int Available
    {
        get
        {
            using var c = Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM private_tokens WHERE batch_key IS NULL;";
            return (int)(long)cmd.ExecuteScalar()!;
        }
    }

    public void Add(PrivateToken token)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO private_tokens (token) VALUES ($t);";
        cmd.Parameters.AddWithValue("$t", token.Encode());
        cmd.ExecuteNonQuery();
    }

    /// <summary>The token attached to <paramref name="batchKey"/>, attaching a free one first if none is; null when the wallet is empty.</summary>
    public byte[]? TokenFor(string batchKey)
    {
        lock (_lock)
        {
            using var c = Open();
            using var tx = c.BeginTransaction();
            using (var find = c.CreateCommand())
            {
                find.Transaction = tx;
                find.CommandText = "SELECT token FROM private_tokens WHERE batch_key = $k;";
                find.Parameters.AddWithValue("$k", batchKey);
                if (find.ExecuteScalar() is byte[] attached)
                    return attached;
            }
            using var take = c.CreateCommand();
            take.Transaction = tx;
            take.CommandText = "UPDATE private_tokens SET batch_key = $k WHERE id = (SELECT min(id) FROM private_tokens WHERE batch_key IS NULL) RETURNING token;";
            take.Parameters.AddWithValue("$k", batchKey);
            var token = take.ExecuteScalar() as byte[];
            tx.Commit();
            return token;
        }
    }

    /// <summary>Forgets the token of a batch that got its final answer (accepted, or the token refused).</summary>
    public void Release(string batchKey)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM private_tokens WHERE batch_key = $k;";
        cmd.Parameters.AddWithValue("$k", batchKey);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Drops every token (after the collector said the key they were issued under is gone).</summary>
    public void Clear()
    {
        using var c = Open();
        Execute(c, "DELETE FROM private_tokens WHERE batch_key IS NULL;");
    }

    /// <summary>
    /// Tops the wallet up to <paramref name="target"/> tokens: the collector's challenge and key
    /// (<c>GET /v1/apps/{app}/token-challenge</c>), checked against the issuer directory's current key
    /// (<see cref="TokenKeyConsistency"/>), then one blinded request per token to the issuer the directory
    /// names. Returns how many were added; stops at the first refusal (budget spent).
    /// Throws <see cref="HttpRequestException"/> when the collector or issuer cannot be reached, and
    /// <see cref="TokenKeyInconsistentException"/> when the key fails the consistency check.
    /// </summary>
    /// <param name="http">For the collector's challenge (through the relay with <c>ohttp</c>).</param>
    /// <param name="issuerHttp">For the issuer, when it must be reached another way than <paramref name="http"/>.</param>
    /// <param name="directory">The consistency route: where every device gets the same issuer directory (the relay's
    /// cache with <c>ohttp</c>) and how to reach it; null: the issuer's own directory, which checks the challenge
    /// against the issuer but not the issuer against other devices' view (no relay, no consistency route).</param>
    public async Task<int> FillAsync(HttpClient http, Uri collector, string app, int target, Uri? issuer = null, CancellationToken cancel = default, HttpClient? issuerHttp = null,
        (Uri Url, HttpClient Http)? directory = null)
    {
        using var challengeDoc = JsonDocument.Parse(await http.GetStringAsync(new Uri(collector, $"v1/apps/{Uri.EscapeDataString(app)}/token-challenge"), cancel).ConfigureAwait(false));
        var root = challengeDoc.RootElement;
        if (root.GetProperty("mode").GetString() == "off" || root.GetProperty("token_key").ValueKind != JsonValueKind.String)
            return 0;
        var challenge = TokenChallenge.Decode(Decode(root.GetProperty("challenge").GetString()!));
        var challengeKey = Decode(root.GetProperty("token_key").GetString()!);

        var issuerBase = issuer ?? collector;
        var toIssuer = issuerHttp ?? http;
        var (directoryUrl, directoryHttp) = directory ?? (new Uri(issuerBase, ".well-known/private-token-issuer-directory"), toIssuer);
        using var directoryDoc = JsonDocument.Parse(await directoryHttp.GetStringAsync(directoryUrl, cancel).ConfigureAwait(false));
        var (requestPath, currentKey, refusal) = TokenKeyConsistency.ReadDirectory(directoryDoc.RootElement);
        refusal ??= TokenKeyConsistency.CheckChallengeKey(challengeKey, currentKey!);
        refusal ??= TokenKeyConsistency.CheckNotReplaced(History.WasReplaced(LocalStore.KeyHistory.TokenKeys, currentKey!));
        if (refusal is not null)
            throw new TokenKeyInconsistentException(refusal);
        History.Accepted(LocalStore.KeyHistory.TokenKeys, [currentKey!]);
        var key = RsaPublicKey.FromSpki(currentKey!);
        var requestUri = new Uri(issuerBase, requestPath ?? throw new FormatException("The issuer directory names no issuer-request-uri."));

        int added = 0;
        while (Available < target)
        {
            var pending = TokenClient.CreateRequest(key, challenge);
            using var request = new HttpRequestMessage(HttpMethod.Post, requestUri) { Content = new ByteArrayContent(pending.Request.Encode()) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/private-token-request");
            using var response = await toIssuer.SendAsync(request, cancel).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
                break; // 429: this address's budget is spent for the period; the next refill tries again
            try
            {
                Add(TokenClient.Finalize(pending, await response.Content.ReadAsByteArrayAsync(cancel).ConfigureAwait(false)));
                added++;
            }
            catch (CryptographicException)
            {
                break; // an answer that does not verify is dropped: a token that would be refused is worth nothing
            }
        }
        return added;
    }

    private static byte[] Decode(string base64Url) => Base64Url.DecodeFromChars(base64Url.TrimEnd('='));

    /// <summary>
    /// The table is created on first use, not in the constructor: on a full disk at start-up (no room even
    /// for the data directory) creating the client must not throw into the app; the first use after the
    /// disk has room creates it.
    /// </summary>
    private SqliteConnection Open()
    {
        if (!_created)
            Directory.CreateDirectory(_directory);
        var c = new SqliteConnection(_connectionString);
        c.Open();
        if (!_created)
        {
            Execute(c, "CREATE TABLE IF NOT EXISTS private_tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, token BLOB NOT NULL, batch_key TEXT UNIQUE);");
            _created = true;
        }
        return c;
    }

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
