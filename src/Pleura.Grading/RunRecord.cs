using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Files;
using Pleura.Training;

namespace Pleura.Grading;

/// <summary>
/// A grading run folder's job.json: the job plus fingerprints of its data, split and start. A folder only resumes
/// the run that made it: training into it with another split, fold, data set, start, ROI or recipe would keep the old
/// weights and score them on images they were trained on, so it is refused before anything is written. It also
/// records which sides finished, so that commands that answer from a run refuse one whose training stopped midway
/// rather than answer for one lung.
/// </summary>
public static class RunRecord
{
    public const string FileName = FolderOwner.TrainingRunRecord;
    const string FinishedKey = "FinishedSides";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    /// <summary>Checks that <paramref name="job"/> may use its run folder, then records it there.</summary>
    public static void Claim(GradingJob job, string dataFingerprint, string splitFingerprint)
    {
        var record = JsonSerializer.SerializeToNode(job, Json)!.AsObject();
        record["Fingerprints"] = new JsonObject
        {
            ["Data"] = dataFingerprint,
            ["Split"] = splitFingerprint,
            ["Pretrained"] = job.Pretrained is null ? null : Fingerprints.OfFile(job.Pretrained),
        };
        if (FolderOwner.Read(job.RunFolder) is { } owner)
            throw new InvalidDataException($"{job.RunFolder} belongs to {owner.Describe()}, not to a training run; train into a new --out folder");
        var path = Path.Combine(job.RunFolder, FileName);
        if (File.Exists(path))
        {
            var old = Read(path);
            var differences = Differences(old, record, job.Training);
            if (differences.Count > 0)
                throw new InvalidDataException($"{job.RunFolder} holds another run ({string.Join("; ", differences)}); a run folder only " +
                                               "resumes the command that made it. Train into a new --out folder.");
            record[FinishedKey] = old[FinishedKey]?.DeepClone();
        }
        record[FinishedKey] ??= new JsonArray();
        AtomicFile.WriteAllText(path, record.ToJsonString(Json));
    }

    /// <summary>Records that <paramref name="side"/>'s model is saved: the run answers for that lung.</summary>
    public static void MarkFinished(string runFolder, Side side)
    {
        var path = Path.Combine(runFolder, FileName);
        var record = Read(path);
        var finished = record[FinishedKey] as JsonArray ?? new JsonArray();
        if (!finished.Any(n => n?.GetValue<string>() == side.Name)) finished.Add(side.Name);
        record[FinishedKey] = finished.DeepClone();
        AtomicFile.WriteAllText(path, record.ToJsonString(Json));
    }

    /// <summary>
    /// Throws when the `pleura train` run in <paramref name="runFolder"/> has a side whose training did not finish
    /// (stopped, or failed). Folders without a job.json (models not made by `pleura train`) are not judged here.
    /// </summary>
    public static void RequireComplete(string runFolder) => RequireComplete(runFolder, allowIncomplete: false);

    /// <summary>
    /// <see cref="RequireComplete(string)"/>, or with <paramref name="allowIncomplete"/> (`--allow-incomplete`) the
    /// sides whose training did not finish, for the caller to leave out and name in every output; a run none of whose
    /// sides finished is refused either way.
    /// </summary>
    public static IReadOnlyList<string> RequireComplete(string runFolder, bool allowIncomplete)
    {
        var path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return Array.Empty<string>();
        var record = Read(path);
        var sides = (record["Sides"] as JsonArray ?? new JsonArray()).Select(s => s?["Name"]?.GetValue<string>()).OfType<string>().ToList();
        // Runs recorded before finished sides were: a side finished when its checkpoint was saved.
        var finished = record[FinishedKey] is JsonArray names ? names.Select(n => n?.GetValue<string>()).OfType<string>().ToList()
            : sides.Where(s => File.Exists(GradingRun.CheckpointPath(runFolder, Side.Parse(s)))).ToList();
        var missing = sides.Except(finished, StringComparer.Ordinal).ToList();
        if (missing.Count > 0 && (!allowIncomplete || finished.Count == 0))
            throw new InvalidDataException($"{runFolder} is an incomplete run: training of the {string.Join(" and ", missing)} lung model did not finish " +
                                           $"(finished: {(finished.Count == 0 ? "none" : string.Join(", ", finished))}); run the same `pleura train` again to finish it");
        return missing;
    }

    /// <summary>What every output of an answer for an incomplete run says (`--allow-incomplete`).</summary>
    public static string IncompleteNote(IReadOnlyList<string> missing) =>
        $"incomplete run: training of the {string.Join(" and ", missing)} lung model did not finish; no grade for that lung (--allow-incomplete)";

    static JsonObject Read(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a Pleura run record ({e.Message}); move it away to train here", e); }
    }

    static List<string> Differences(JsonObject old, JsonObject now, TrainingConfig training)
    {
        var found = new List<string>();
        void Compare(string what, JsonNode? a, JsonNode? b)
        {
            if (!JsonNode.DeepEquals(a, b)) found.Add($"{what} {Text(a)} there, {Text(b)} now");
        }
        if (old["Fingerprints"] is JsonObject fingerprints)
        {
            Compare("split fingerprint", fingerprints["Split"], now["Fingerprints"]!["Split"]);
            Compare("data fingerprint", fingerprints["Data"], now["Fingerprints"]!["Data"]);
            Compare("pretrained fingerprint", fingerprints["Pretrained"], now["Fingerprints"]!["Pretrained"]);
        }
        else
        {
            // Written before fingerprints were recorded: the paths are all there is to compare.
            Compare("split file", old["SplitPath"], now["SplitPath"]);
            Compare("manifest", old["ManifestPath"], now["ManifestPath"]);
        }
        Compare("fold", old["Fold"], now["Fold"]);
        // Older records wrote enums as numbers; comparing the settings' hash reads both forms.
        var oldTraining = old["Training"]?.Deserialize<TrainingConfig>(Json);
        if (oldTraining is null || oldTraining.Hash() != training.Hash()) found.Add("training settings differ");
        var oldRoi = old["Roi"]?.Deserialize<Pleura.Imaging.Roi.RoiScheme>(Json);
        if (oldRoi != (now["Roi"]?.Deserialize<Pleura.Imaging.Roi.RoiScheme>(Json))) found.Add($"ROI {Text(old["Roi"])} there, {Text(now["Roi"])} now");
        return found;
    }

    static string Text(JsonNode? node) => node?.ToJsonString() ?? "none";
}
