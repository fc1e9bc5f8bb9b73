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

    /// <summary>Whether two splits deal the same patients, with the same images, into the same parts of the same folds:
    /// what pairing two studies needs. The manifests may differ in other columns (e.g. lung masks from another model).</summary>
    public bool AssignsAlike(SplitPlan other)
    {
        static string Key(PatientAssignment p) =>
            $"{p.PatientId}|{p.OutOfBox}|{string.Join(",", p.Folds)}|{string.Join(",", p.Images.Order(StringComparer.Ordinal))}";
        return FoldCount == other.FoldCount && Patients.Select(Key).Order(StringComparer.Ordinal).SequenceEqual(other.Patients.Select(Key).Order(StringComparer.Ordinal));
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

    /// <summary>Reads a split file; one that is damaged (a list missing, a patient or image twice, fold parts that do not fit its fold count) is refused naming the file.</summary>
    public static SplitPlan Load(string path) => FormattedJson.Load<SplitPlan>(path, Json, "split file", "a Pleura split file", FormatName, p => p.Format, Problem);

    /// <summary>What makes a plan read from a file unusable, or null: every list present, each patient once with one
    /// part per fold (all OOB for an OOB patient, none OOB otherwise), each image under one patient.</summary>
    static string? Problem(SplitPlan plan)
    {
        if (plan.FoldCount < 1) return $"foldCount {plan.FoldCount} is not a positive number of folds";
        if (plan.Patients is null || plan.StratifiedBy is null || plan.ManifestFingerprint is null) return "patients, stratifiedBy or manifestFingerprint is missing";
        var patients = new HashSet<string>(StringComparer.Ordinal);
        var images = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < plan.Patients.Count; i++)
        {
            var p = plan.Patients[i];
            if (p is null || string.IsNullOrEmpty(p.PatientId) || p.Folds is null || p.Images is null) return $"patient {i + 1} lacks its id, folds or images";
            if (!patients.Add(p.PatientId)) return $"patient '{p.PatientId}' is listed twice";
            if (p.Folds.Count != plan.FoldCount) return $"patient '{p.PatientId}' has {p.Folds.Count} fold part(s) for {plan.FoldCount} folds";
            if (p.Folds.Any(f => !Enum.IsDefined(f) || (f == SplitPart.OutOfBox) != p.OutOfBox))
                return $"patient '{p.PatientId}' has parts ({string.Join(", ", p.Folds)}) that do not fit {(p.OutOfBox ? "the OOB set" : "the folds")}";
            foreach (var image in p.Images)
                if (string.IsNullOrEmpty(image) || !images.Add(image)) return $"image '{image}' of patient '{p.PatientId}' is empty or listed twice";
        }
        return null;
    }
}
