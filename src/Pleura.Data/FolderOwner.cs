using System.Text.Json;
using Pleura.Files;

namespace Pleura.Data;

/// <summary>
/// What an output folder belongs to (a study, an ingest), recorded in its <see cref="FileName"/>: the kind, a name
/// and the facts that tell one owner from another (a study file's hash, an ingest key's fingerprint). Commands read
/// it before any work and refuse a folder that belongs to something else, so a wrong --folder or -o never changes it.
/// </summary>
public sealed record FolderOwner(string Kind, string Name, IReadOnlyDictionary<string, string> Facts)
{
    public const string FileName = "pleura-owner.json";
    /// <summary>The record a `pleura train` run folder keeps (RunRecord, in Pleura.Pipeline).</summary>
    public const string TrainingRunRecord = "job.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Describe() => $"{Kind} '{Name}'";

    public string? Fact(string key) => Facts.TryGetValue(key, out var value) ? value : null;

    /// <summary>The folder's owner, or null when it records none (a new folder, or one written before owners were recorded).</summary>
    public static FolderOwner? Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<FolderOwner>(File.ReadAllText(path), Json) is { Kind: not null, Name: not null, Facts: not null } owner
                ? owner
                : throw new InvalidDataException($"{path}: incomplete owner record");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a Pleura owner record ({e.Message})", e); }
    }

    /// <summary>Records this owner in <paramref name="folder"/> (replacing an earlier record of the same owner).</summary>
    public void Write(string folder) => AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>
    /// Throws when <paramref name="folder"/> records another owner: another kind or name, or a different value of one
    /// of <paramref name="mustMatch"/>. The message names both owners and what differs.
    /// </summary>
    public void RefuseOther(string folder, string hint, params string[] mustMatch)
    {
        // A `pleura train` run folder records itself in job.json rather than here.
        if (File.Exists(Path.Combine(folder, TrainingRunRecord)))
            throw new InvalidDataException($"{folder} is not this {Kind}'s folder: it holds a training run ({TrainingRunRecord}). {hint}");
        if (Read(folder) is not { } there) return;
        var differences = new List<string>();
        if (there.Kind != Kind || there.Name != Name) differences.Add($"it belongs to {there.Describe()}, not {Describe()}");
        foreach (var key in mustMatch)
            if (there.Fact(key) != Fact(key))
                differences.Add($"{key} {there.Fact(key) ?? "none"} there, {Fact(key) ?? "none"} now");
        if (differences.Count > 0)
            throw new InvalidDataException($"{folder} is not this {Kind}'s folder: {string.Join("; ", differences)}. {hint}");
    }
}
