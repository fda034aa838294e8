using System.Text.Json;
using Candor.Transparency;

namespace Candor.Tests.Transparency;

/// <summary>
/// Every inclusion and consistency case of transparency-dev/merkle's test data, positive and negative,
/// gives the verdict the vectors expect.
/// </summary>
public class MerkleVectorTests
{
    public static TheoryData<string> InclusionCases() => Cases("inclusion");
    public static TheoryData<string> ConsistencyCases() => Cases("consistency");

    [Theory]
    [MemberData(nameof(InclusionCases))]
    public void Inclusion_vector_gets_the_expected_verdict(string file)
    {
        var v = Read(file);
        var ok = MerkleProof.VerifyInclusion(
            v.GetProperty("leafIdx").GetUInt64(), v.GetProperty("treeSize").GetUInt64(),
            Bytes(v, "leafHash"), Proof(v), Bytes(v, "root"), out var reason);

        Assert.True(ok == !v.GetProperty("wantErr").GetBoolean(), $"{file}: verified={ok} ({reason})");
    }

    [Theory]
    [MemberData(nameof(ConsistencyCases))]
    public void Consistency_vector_gets_the_expected_verdict(string file)
    {
        var v = Read(file);
        var ok = MerkleProof.VerifyConsistency(
            v.GetProperty("size1").GetUInt64(), v.GetProperty("size2").GetUInt64(),
            Bytes(v, "root1"), Bytes(v, "root2"), Proof(v), out var reason);

        Assert.True(ok == !v.GetProperty("wantErr").GetBoolean(), $"{file}: verified={ok} ({reason})");
    }

    [Fact]
    public void The_vector_set_has_positive_and_negative_cases_of_both_kinds()
    {
        // Guards against a vector folder that silently shrank: a theory over nothing passes.
        foreach (var kind in new[] { "inclusion", "consistency" })
        {
            var verdicts = Files(kind).Select(f => Read(f).GetProperty("wantErr").GetBoolean()).ToList();
            Assert.Contains(true, verdicts);
            Assert.Contains(false, verdicts);
            Assert.True(verdicts.Count > 20, $"{kind}: only {verdicts.Count} cases");
        }
    }

    private static TheoryData<string> Cases(string kind) => new(Files(kind));

    private static List<string> Files(string kind) =>
        Directory.GetFiles(SharedVectors.Folder("merkle", "testdata", kind), "*.json", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => Path.GetRelativePath(SharedVectors.Folder("merkle", "testdata"), f))
            .ToList();

    private static JsonElement Read(string relative) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedVectors.Folder("merkle", "testdata"), relative))).RootElement;

    private static byte[] Bytes(JsonElement v, string name) =>
        v.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? Convert.FromBase64String(e.GetString()!) : [];

    private static byte[][] Proof(JsonElement v) =>
        v.TryGetProperty("proof", out var p) && p.ValueKind == JsonValueKind.Array
            ? p.EnumerateArray().Select(e => Convert.FromBase64String(e.GetString()!)).ToArray()
            : [];
}
