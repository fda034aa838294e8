using System.Security.Cryptography;
using System.Text;
using Candor.AspNetCore.Consent;
using Microsoft.AspNetCore.Http;

namespace Candor.AspNetCore.Experiments;

/// <summary>
/// Experiment assignment that keeps opted-out users out: a request whose metrics are not allowed is
/// <see cref="ExperimentAssignment.Excluded"/>, or — when the caller says it cannot exclude (the page must
/// render some variant) — always given the control variant, which is the product without the experiment.
/// Everyone else is assigned by a stable hash of experiment and unit, so a user keeps their variant.
/// </summary>
public sealed class ConsentExperiments(IMetricsGate gate)
{
    /// <param name="variants">The variants; the first is the control.</param>
    /// <param name="unitId">What is randomised (usually the user id); null for an anonymous request.</param>
    public async Task<ExperimentAssignment> AssignAsync(HttpContext http, string experiment, IReadOnlyList<string> variants,
        string? unitId, bool exclusionPossible = true, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(experiment);
        if (variants.Count == 0)
            throw new ArgumentException("An experiment needs at least a control variant.", nameof(variants));
        var decision = await gate.DecideAsync(http, cancellationToken);
        unitId ??= decision.UserId;
        if (!decision.MayCollect || unitId is null)
            return exclusionPossible ? ExperimentAssignment.Excluded : new ExperimentAssignment(variants[0], Enrolled: false);
        return new ExperimentAssignment(variants[Bucket(experiment, unitId, variants.Count)], Enrolled: true);
    }

    internal static int Bucket(string experiment, string unitId, int buckets)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(experiment + "\n" + unitId), hash);
        return (int)(BitConverter.ToUInt32(hash) % (uint)buckets);
    }
}

/// <summary>
/// The variant to show (null when excluded) and whether the user counts in the experiment's results;
/// an opted-out user is never enrolled, so nothing about them may be recorded for the experiment.
/// </summary>
public sealed record ExperimentAssignment(string? Variant, bool Enrolled)
{
    /// <summary>No variant, not enrolled: what an opted-out user always gets.</summary>
    public static readonly ExperimentAssignment Excluded = new(null, false);
}
