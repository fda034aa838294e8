using System.Security.Cryptography;
using System.Text;

namespace Candor.Client.Reporting;

/// <summary>
/// Local differential privacy for metrics with <c>local_privacy: { epsilon }</c>: k-ary randomised response.
/// The true answer is kept with probability e^ε / (e^ε + k − 1), otherwise one of the other k − 1 answers
/// is sent, chosen uniformly; so no single report reveals the true value, while the collector can still
/// estimate the distribution over many devices.
/// </summary>
internal static class RandomizedResponse
{
    public static int Randomize(int trueIndex, int k, double epsilon, Random random)
    {
        if (k <= 1)
            return trueIndex;
        double keep = Math.Exp(epsilon) / (Math.Exp(epsilon) + k - 1);
        if (random.NextDouble() < keep)
            return trueIndex;
        int other = random.Next(k - 1);
        return other >= trueIndex ? other + 1 : other;
    }

    /// <summary>
    /// The noise for one metric and period, drawn from a secret that never leaves the device. Deterministic,
    /// so the preview shows exactly what will be sent and rebuilding a period cannot average the noise away.
    /// </summary>
    public static Random For(byte[] deviceSecret, string metric, string period)
    {
        var mac = HMACSHA256.HashData(deviceSecret, Encoding.UTF8.GetBytes(metric + "\n" + period));
        return new Random(BitConverter.ToInt32(mac, 0));
    }
}
