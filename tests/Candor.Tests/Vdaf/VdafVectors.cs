using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Candor.Tests.Vdaf;

/// <summary>The VDAF-08 vectors vendored beside this file in <c>Vectors/</c> (provenance in its README).</summary>
internal static class VdafVectors
{
    public static JsonElement Load(string name, [CallerFilePath] string source = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(source)!, "Vectors", name);
        // Missing vectors must fail the run, never pass it by testing nothing.
        if (!File.Exists(path))
            throw new InvalidOperationException("VDAF vectors missing: " + path);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    public static byte[] Hex(this JsonElement element) => Convert.FromHexString(element.GetString()!);
}
