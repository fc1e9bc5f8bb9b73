using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;

namespace Pleura.Cli.Deployment;

/// <summary>One assembly reference that the deployed folder cannot satisfy.</summary>
/// <param name="Referrer">The deployed assembly's file name.</param>
/// <param name="Reference">The referenced assembly name and version.</param>
/// <param name="Found">The version found (deployed or in a shared framework), or null when none was.</param>
public sealed record UnresolvedReference(string Referrer, AssemblyName Reference, Version? Found)
{
    public override string ToString() => Found is null
        ? $"{Referrer} references {Reference.Name} {Reference.Version}, which is neither deployed nor in a shared framework"
        : $"{Referrer} references {Reference.Name} {Reference.Version}, but {Found} is what this folder gets";
}

/// <summary>
/// Checks that a deployed application folder (build, publish or tool output) is closed: every assembly reference of
/// every deployed assembly resolves to a deployed or shared-framework assembly of at least the referenced version.
/// MSBuild picks one file per assembly name, so a library compiled against a newer version than the one deployed
/// fails only when the code that needs it runs (Google.Protobuf 3.30.2 against 3.29.3 broke every ONNX import).
/// Reads metadata only; nothing is loaded.
/// </summary>
public static class AssemblyClosure
{
    /// <summary>
    /// References that may be absent by design: assemblies that packages reference for optional features Pleura
    /// never calls, matched by name prefix. A version conflict is never excused: only a wholly absent assembly.
    /// </summary>
    private static readonly string[] OptionalAbsent = [];

    public static IReadOnlyList<UnresolvedReference> Check(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: no such folder");
        var deployed = ReadAssemblies(Directory.EnumerateFiles(folder, "*.dll", SearchOption.TopDirectoryOnly));
        var framework = ReadAssemblies(SharedFrameworkFiles(folder));
        var problems = new List<UnresolvedReference>();
        foreach (var (file, references) in deployed.Values.Select(a => (a.File, a.References)))
        {
            foreach (var reference in references)
            {
                string name = reference.Name!;
                Version wanted = reference.Version ?? new Version(0, 0);
                var found = deployed.GetValueOrDefault(name)?.Version ?? framework.GetValueOrDefault(name)?.Version;
                if (found is null && OptionalAbsent.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
                    continue;
                if (found is null || found < wanted)
                    problems.Add(new UnresolvedReference(Path.GetFileName(file), reference, found));
            }
        }
        return problems;
    }

    private sealed record ManagedAssembly(string File, Version Version, IReadOnlyList<AssemblyName> References);

    private static Dictionary<string, ManagedAssembly> ReadAssemblies(IEnumerable<string> files)
    {
        var byName = new Dictionary<string, ManagedAssembly>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in files)
        {
            var assembly = TryRead(file);
            if (assembly is null) continue;
            var (name, value) = assembly.Value;
            // Two files of one name cannot both be deployed; among framework folders the newest wins, as at run time.
            if (!byName.TryGetValue(name, out var existing) || existing.Version < value.Version)
                byName[name] = value;
        }
        return byName;
    }

    private static (string Name, ManagedAssembly Assembly)? TryRead(string file)
    {
        using var stream = File.OpenRead(file);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata) return null; // a native library with a .dll name
        var reader = pe.GetMetadataReader();
        if (!reader.IsAssembly) return null;
        var definition = reader.GetAssemblyDefinition();
        var references = reader.AssemblyReferences
            .Select(handle => reader.GetAssemblyReference(handle).GetAssemblyName())
            .ToList();
        return (reader.GetString(definition.Name), new ManagedAssembly(file, definition.Version, references));
    }

    /// <summary>
    /// The assemblies of the shared frameworks the folder's runtimeconfig names (Microsoft.NETCore.App,
    /// Microsoft.AspNetCore.App), from the .NET installation running this check, highest installed version of the
    /// named major version, as the host's roll-forward picks it.
    /// </summary>
    private static IEnumerable<string> SharedFrameworkFiles(string folder)
    {
        string sharedRoot = Path.GetFullPath(Path.Combine(
            System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", ".."));
        foreach (var (name, version) in FrameworksOf(folder))
        {
            var candidates = Directory.Exists(Path.Combine(sharedRoot, name))
                ? Directory.GetDirectories(Path.Combine(sharedRoot, name))
                : [];
            var best = candidates
                .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : null))
                .Where(c => c.Version is not null && c.Version.Major == version.Major && c.Version >= version)
                .OrderByDescending(c => c.Version)
                .FirstOrDefault();
            if (best.Dir is null) continue; // the folder's assemblies that need it are then reported unresolved
            foreach (var file in Directory.EnumerateFiles(best.Dir, "*.dll"))
                yield return file;
        }
    }

    private static IEnumerable<(string Name, Version Version)> FrameworksOf(string folder)
    {
        var config = Directory.EnumerateFiles(folder, "*.runtimeconfig.json").FirstOrDefault();
        if (config is null)
        {
            // A library folder without a host config: the base framework at the running version.
            yield return ("Microsoft.NETCore.App", new Version(Environment.Version.Major, 0));
            yield break;
        }
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        var options = json.RootElement.GetProperty("runtimeOptions");
        var frameworks = new List<JsonElement>();
        if (options.TryGetProperty("framework", out var single)) frameworks.Add(single);
        if (options.TryGetProperty("frameworks", out var many)) frameworks.AddRange(many.EnumerateArray());
        if (options.TryGetProperty("includedFrameworks", out var included)) frameworks.AddRange(included.EnumerateArray());
        foreach (var framework in frameworks)
        {
            string name = framework.GetProperty("name").GetString()!;
            var version = Version.Parse(framework.GetProperty("version").GetString()!.Split('-')[0]);
            yield return (name, version);
        }
    }
}
