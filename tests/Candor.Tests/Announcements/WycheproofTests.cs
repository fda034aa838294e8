using System.Runtime.CompilerServices;
using System.Text.Json;
using Candor.Announcements;

namespace Candor.Tests.Announcements;

public sealed class WycheproofTests
{
    private static string VectorFile([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "Vectors", "ecdsa_secp256r1_sha256_p1363_test.json");

    [Fact]
    public void Verify_agrees_with_every_wycheproof_p1363_vector()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(VectorFile()));
        int checkedCount = 0;
        var disagreements = new List<string>();
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            var spki = Convert.FromHexString(group.GetProperty("publicKeyDer").GetString()!);
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                var msg = Convert.FromHexString(test.GetProperty("msg").GetString()!);
                var sig = Convert.FromHexString(test.GetProperty("sig").GetString()!);
                var expected = test.GetProperty("result").GetString() == "valid";
                if (AnnouncementKeys.Verify(spki, msg, sig) != expected)
                    disagreements.Add($"tcId {test.GetProperty("tcId").GetInt32()}: {test.GetProperty("comment").GetString()}");
                checkedCount++;
            }
        }
        Assert.Empty(disagreements);
        Assert.Equal(262, checkedCount);
    }
}
