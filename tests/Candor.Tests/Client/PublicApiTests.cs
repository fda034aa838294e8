using System.Reflection;
using System.Text;
using Candor.Client;

namespace Candor.Tests.Client;

/// <summary>
/// The client library's public surface is what apps use and nothing else, and it changes only on
/// purpose: the reflected surface must equal the committed baseline (Client/PublicApi/Candor.Client.txt).
/// After an intended change, copy the <c>.received.txt</c> this test writes over the baseline.
/// </summary>
public sealed class PublicApiTests
{
    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Candor.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Candor.slnx not found above " + AppContext.BaseDirectory);
    }

    public static string Surface(Assembly assembly)
    {
        var text = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            text.Append(Kind(type)).Append(' ').Append(type.FullName);
            if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum))
                text.Append(" : ").Append(b.FullName);
            text.AppendLine();
            if (type.IsEnum)
            {
                foreach (var name in Enum.GetNames(type))
                    text.Append("  ").AppendLine(name);
                continue;
            }
            var members = type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m is not MethodInfo { IsSpecialName: true }) // property and event accessors are listed with their property or event
                .Where(m => !(m is MethodBase mb && mb.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute))))
                .Select(m => "  " + (m is FieldInfo { IsStatic: true } or MethodInfo { IsStatic: true } or PropertyInfo { GetMethod.IsStatic: true } ? "static " : "") + m.MemberType + " " + m)
                .OrderBy(s => s, StringComparer.Ordinal);
            foreach (var m in members)
                text.AppendLine(m);
        }
        return text.ToString().ReplaceLineEndings("\n");
    }

    private static string Kind(Type t) =>
        t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct"
        : t.IsAbstract && t.IsSealed ? "static class" : t.GetMethod("<Clone>$") is not null ? "record" : "class";

    [Fact]
    public void The_public_surface_of_Candor_Client_matches_its_committed_baseline()
    {
        var baselinePath = Path.Combine(RepoRoot(), "tests", "Candor.Tests", "Client", "PublicApi", "Candor.Client.txt");
        var actual = Surface(typeof(CandorClient).Assembly);
        var expected = File.Exists(baselinePath) ? File.ReadAllText(baselinePath).ReplaceLineEndings("\n") : "";
        if (actual != expected)
        {
            File.WriteAllText(Path.ChangeExtension(baselinePath, ".received.txt"), actual);
            Assert.Fail($"The public API of Candor.Client changed. If that is intended, copy {Path.ChangeExtension(baselinePath, ".received.txt")} over {baselinePath}.");
        }
    }

    [Fact]
    public void Plumbing_is_not_public()
    {
        string[] internals = ["RetryPolicy", "ReportBuilder", "Observation", "ConsentResolver", "ConsentScope", "MachinePolicy", "ReportingTransport",
            "UploadWorker", "ClientStore", "PendingOutbox", "Recorder", "MetricSlots", "FetchParameters", "RandomizedResponse", "ReportingWindow"];
        var exported = typeof(CandorClient).Assembly.GetExportedTypes().Select(t => t.Name).ToHashSet();
        foreach (var name in internals)
            Assert.DoesNotContain(name, exported);
    }
}
