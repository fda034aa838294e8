using System.Globalization;

namespace Candor.Collector.Transparency;

/// <summary>
/// The "Transparency" settings section: the public log of report commitments (docs/transparency.md).
/// </summary>
public sealed class TransparencyOptions
{
    /// <summary>
    /// On (the default): reports' commitments are logged and <c>/v1/log/*</c> is served. Off: commitments
    /// are still accepted (old and new clients keep working) but ignored, and <c>/v1/log/*</c> answers 404.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The log's name, the first line of every checkpoint and the name of its key. Set it to the
    /// collector's public host and a path, e.g. <c>metrics.example.org/candor-log</c>; null: this
    /// machine's host name followed by <c>/candor-log</c> (<see cref="OriginOrDefault"/>).</summary>
    public string? Origin { get; set; }

    /// <summary>The log's ECDSA P-256 signing key (PKCS#8 PEM), created with mode 0600 on first start when
    /// missing; null: <c>log-key.pem</c> in the collector's data directory (<see cref="CollectorOptions.DataDirectory"/>:
    /// beside the SQLite database, or <c>data/</c> with PostgreSQL).</summary>
    public string? KeyFile { get; set; }

    /// <summary>Seconds between epochs: how long new commitments wait before they are shuffled into the log.</summary>
    public int EpochSeconds { get; set; } = 3600;

    /// <summary>
    /// An epoch is sealed only when its pending set holds entries from at least this many batches (else it
    /// waits for the next tick): the shuffle hides which reports came together only among the batches of
    /// one epoch, so an epoch of one batch would hide nothing. With <see cref="EpochSpread"/> it sets the
    /// window a batch hides in (K × this many batches): at the former default of 10 the epoch join paired
    /// planted installations twice as well as the no-log baseline; at 128 it does not (EpochJoinTests, run
    /// with the defaults). The cost is latency on a quiet collector (docs/transparency.md, "Epochs").
    /// </summary>
    public int MinEpochBatches { get; set; } = 128;

    /// <summary>
    /// K: each new entry (every report of a batch, every deletion) lands in one of the next K epochs, drawn
    /// uniformly and independently of the other entries of its batch. With K = 1 a batch lands whole in one
    /// epoch, and epoch membership then says which reports came together (the epoch join); with K
    /// epochs, two reports of one batch share an epoch exactly as often (1/K) as two reports of different
    /// batches that arrived in the same epoch window. The cost: a leaf waits up to K epochs.
    /// </summary>
    public int EpochSpread { get; set; } = 8;

    /// <summary>Tests only: replaces the shuffle, to show that the leaf-order test catches an unshuffled log.</summary>
    internal Func<IReadOnlyList<byte[]>, IReadOnlyList<byte[]>>? OrderForTests { get; set; }

    public string OriginOrDefault() => Origin ?? System.Net.Dns.GetHostName().ToLowerInvariant() + "/candor-log";

    public IEnumerable<string> Validate()
    {
        var origin = OriginOrDefault();
        if (origin.Length == 0 || origin.Any(c => c <= ' ' || c == '+'))
            yield return $"Transparency:Origin: '{origin}' must be non-empty, without spaces, control characters or '+' (it names the log and its key).";
        if (EpochSeconds is < 1 or > 7 * 86400) yield return $"Transparency:EpochSeconds: {EpochSeconds} is outside 1..604800.";
        if (MinEpochBatches < 1) yield return "Transparency:MinEpochBatches must be positive.";
        if (EpochSpread is < 1 or > 64) yield return $"Transparency:EpochSpread: {EpochSpread} is outside 1..64.";
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Enabled={Enabled}, Origin={OriginOrDefault()}, KeyFile={KeyFile ?? "(log-key.pem in DataDirectory)"}, EpochSeconds={EpochSeconds}, MinEpochBatches={MinEpochBatches}, EpochSpread={EpochSpread}");
}
