using System.Text.Json;
using System.Text.Json.Serialization;
using Pleura.Files;

namespace Pleura.Data;

/// <summary>One patient's place in the plan: OOB, or one part per fold; with the images that follow it.</summary>
public sealed record PatientAssignment(string PatientId, int Stratum, bool OutOfBox, IReadOnlyList<SplitPart> Folds, IReadOnlyList<string> Images);

/// <summary>
/// A saved patient-level split: the options that made it, the manifest fingerprint it was made from, and every
/// patient's assignment. Saved as JSON with the run so it can be reused and audited.
/// </summary>
public sealed class SplitPlan
{
    public const string FormatName = "pleura-split/1";

    public string Format { get; init; } = FormatName;
    public required int Seed { get; init; }
    public required double OutOfBoxFraction { get; init; }
    public required int FoldCount { get; init; }
    public required IReadOnlyList<string> StratifiedBy { get; init; }
    public required string ManifestFingerprint { get; init; }
    public required IReadOnlyList<PatientAssignment> Patients { get; init; }

    [JsonIgnore] Dictionary<string, PatientAssignment>? _byPatient;
    [JsonIgnore] Dictionary<string, PatientAssignment>? _byImage;

    PatientAssignment ForPatient(string patientId)
    {
        _byPatient ??= Patients.ToDictionary(p => p.PatientId);
        return _byPatient.TryGetValue(patientId, out var a) ? a : throw new KeyNotFoundException($"patient '{patientId}' is not in this split");
    }

    /// <summary>The part of <paramref name="fold"/> (1-based) that a patient's images belong to.</summary>
    public SplitPart PartOfPatient(string patientId, int fold)
    {
        if (fold < 1 || fold > FoldCount) throw new ArgumentOutOfRangeException(nameof(fold), fold, $"folds are 1..{FoldCount}");
        var a = ForPatient(patientId);
        return a.OutOfBox ? SplitPart.OutOfBox : a.Folds[fold - 1];
    }

    public SplitPart PartOfImage(string imageId, int fold)
    {
        _byImage ??= Patients.SelectMany(p => p.Images.Select(i => (i, p))).ToDictionary(x => x.i, x => x.p);
        return _byImage.TryGetValue(imageId, out var a) ? PartOfPatient(a.PatientId, fold) : throw new KeyNotFoundException($"image '{imageId}' is not in this split");
    }

    /// <summary>Image ids of one part of a fold (the OOB set for <see cref="SplitPart.OutOfBox"/>, whatever the fold).</summary>
    public IReadOnlyList<string> Images(SplitPart part, int fold = 1) =>
        Patients.Where(p => PartOfPatient(p.PatientId, fold) == part).SelectMany(p => p.Images).ToList();

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public void Save(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    public static SplitPlan Load(string path) => FormattedJson.Load<SplitPlan>(path, Json, "split file", "a Pleura split file", FormatName, p => p.Format);
}
