namespace Candor.Cli.Commands;

/// <summary>
/// Where <c>candor client</c> finds an app's data and registry. A mistyped <c>--data-dir</c> used to create a
/// fresh, empty store and report that the app had never asked for consent: a wrong answer about the user's
/// data. Now a folder without the client's store is an error, and nothing is created in it.
/// </summary>
internal static class ClientDataDirectory
{
    /// <summary>The client's store file (Candor.Client's ClientStore.FileName; a test ties the two).</summary>
    public const string StoreFile = "candor-client.db";

    /// <summary>The registry copy an app keeps beside its store (Candor.Client's RegistryCopy.FileName).</summary>
    public const string RegistryFile = "registry.yaml";

    /// <summary>The registry file to open, or an error sentence (for "candor client: ...").</summary>
    public static (string? Registry, string? Error) Resolve(string dataDirectory, string? registry)
    {
        if (!File.Exists(Path.Combine(dataDirectory, StoreFile)))
            return (null, $"no Candor data found in {dataDirectory} (no {StoreFile}): check --data-dir, the folder the application gives Candor as its DataDirectory.");
        if (registry is not null)
            return (registry, null);
        string kept = Path.Combine(dataDirectory, RegistryFile);
        return File.Exists(kept)
            ? (kept, null)
            : (null, $"no registry in {dataDirectory} (the application keeps {RegistryFile} there only from Candor 0.3 on): pass --registry with the application's registry file.");
    }
}
