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

    /// <summary>
    /// The folder this record was written in (absolute), so that a folder moved together with what its paths name (a
    /// project tree copied elsewhere) is still its owner's; null in records written before it was kept.
    /// </summary>
    public string? WrittenIn { get; init; }
    /// <summary>The record a `pleura train` run folder keeps (RunRecord, in Pleura.Grading).</summary>
    public const string TrainingRunRecord = "job.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>What a command that makes an output folder of its own says when that folder is another's.</summary>
    public const string OutputHint = "Give it an output folder of its own (-o).";

    public string Describe() => $"{Kind} '{Name}'";

    /// <summary>The owner of a command's own output folder: its kind, what it was made from, and the facts that tell one such output from another.</summary>
    public static FolderOwner Output(string kind, string name, params (string Key, object Value)[] facts) =>
        new(kind, name, facts.ToDictionary(f => f.Key, f => Convert.ToString(f.Value, System.Globalization.CultureInfo.InvariantCulture) ?? ""));

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
    public void Write(string folder) =>
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this with { WrittenIn = Path.GetFullPath(folder) }, Json));

    /// <summary>
    /// For a command that makes an output folder of its own (phantoms, an evaluation, an ONNX export, masks): throws,
    /// writing nothing, when <paramref name="folder"/> is a file, holds a training run or belongs to another owner
    /// (another kind or name, or another value of any of this owner's facts). A rerun of the same command passes and
    /// replaces its own results; nothing else's are replaced. Call it before any work.
    /// </summary>
    public void RefuseOtherOutput(string folder)
    {
        if (File.Exists(folder)) throw new InvalidDataException($"{folder} is a file, not a folder. {OutputHint}");
        RefuseOther(folder, OutputHint, Facts.Keys.ToArray());
    }

    /// <summary>Checks again (<see cref="RefuseOtherOutput"/>), then creates the folder and records this owner in it.</summary>
    public void ClaimOutput(string folder)
    {
        RefuseOtherOutput(folder);
        Directory.CreateDirectory(folder);
        Write(folder);
    }

    /// <summary>
    /// For a command that writes files into a folder it does not own (a split, weights, metrics tables, predictions):
    /// throws, writing nothing, when <paramref name="file"/> is a folder, or when its folder or a folder above it holds
    /// a training run or belongs to an owner (a study, an ingest, another command's output), whose files it would
    /// replace or mix with its own.
    /// </summary>
    public static void RefuseOwnedFolderOf(string file, string command)
    {
        var path = Path.GetFullPath(file);
        if (Directory.Exists(path)) throw new InvalidDataException($"{path} is a folder: give {command} a file to write (-o)");
        for (var folder = Path.GetDirectoryName(path); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            string? owner = File.Exists(Path.Combine(folder, TrainingRunRecord)) ? $"holds a training run ({TrainingRunRecord})"
                : Read(folder) is { } there ? $"belongs to {there.Describe()}" : null;
            if (owner is not null)
                throw new InvalidDataException($"{folder} {owner}: {command} does not write {Path.GetFileName(path)} into another's folder. Write it elsewhere (-o).");
        }
    }

    /// <summary>
    /// Whether a value this record holds names the same thing as <paramref name="now"/>: equal, or both absolute paths
    /// that stand in the same place relative to the folder (the record's folder when written, <paramref name="folder"/>
    /// now), as when a project tree was moved with its models and outputs.
    /// </summary>
    bool Same(string? recorded, string? now, string folder) =>
        recorded == now || (recorded is not null && now is not null && WrittenIn is not null && Path.IsPathFullyQualified(recorded) && Path.IsPathFullyQualified(now)
                            && Path.GetRelativePath(WrittenIn, recorded) == Path.GetRelativePath(Path.GetFullPath(folder), now));

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
        if (there.Kind != Kind || !there.Same(there.Name, Name, folder)) differences.Add($"it belongs to {there.Describe()}, not {Describe()}");
        foreach (var key in mustMatch)
            if (!there.Same(there.Fact(key), Fact(key), folder))
                differences.Add($"{key} {there.Fact(key) ?? "none"} there, {Fact(key) ?? "none"} now");
        if (differences.Count > 0)
            throw new InvalidDataException($"{folder} is not this {Kind}'s folder: {string.Join("; ", differences)}. {hint}");
    }
}
