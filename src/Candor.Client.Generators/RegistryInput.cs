namespace Candor.Client.Generators;

/// <summary>One registry file and where its generated class goes. Records compare by value, so an unchanged file is not regenerated.</summary>
internal sealed record RegistryInput(string Path, string? Text, string? Namespace, string ClassName);
