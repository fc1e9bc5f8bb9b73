using System.Text.Json;
using Pleura.Files;

namespace Pleura.Data;

/// <summary>One image of a classification set: its id (e.g. path), the patient it belongs to and its class.</summary>
public sealed record ClassifiedImage(string ImageId, string Patient, string Class);

/// <summary>An image's place in a classification split: 0 = the held-out test part, 1..F = the cross-validation group it
/// validates in (it trains in the other folds).</summary>
public sealed record ClassificationAssignment(string ImageId, string Patient, string Class, int Group);

/// <summary>
/// The method's split for image-level classifiers (METHOD section 1): a patient-level, class-stratified 25% test part set
/// aside first, and the other 75% dealt into F cross-validation groups; fold f validates on group f and trains on the
/// rest, so every development image is validated exactly once (its out-of-fold prediction). The grading split
/// (<see cref="PatientSplitter"/>, OOB plus 80/10/10 folds) is a different scheme and is left as it is.
/// </summary>
public sealed record ClassificationSplit(int Seed, double TestFraction, int Folds, IReadOnlyList<ClassificationAssignment> Images)
{
    public const string FormatName = "pleura-classification-split/1";
    public string Format { get; init; } = FormatName;

    public IReadOnlyList<ClassificationAssignment> Test => Images.Where(i => i.Group == 0).ToList();
    public IReadOnlyList<ClassificationAssignment> Development => Images.Where(i => i.Group > 0).ToList();

    /// <summary>Fold <paramref name="fold"/> (1-based): training images (the other groups) and validation images (its group).</summary>
    public (IReadOnlyList<ClassificationAssignment> Train, IReadOnlyList<ClassificationAssignment> Validation) Fold(int fold)
    {
        if (fold < 1 || fold > Folds) throw new ArgumentOutOfRangeException(nameof(fold), fold, $"folds are 1..{Folds}");
        return (Images.Where(i => i.Group > 0 && i.Group != fold).ToList(), Images.Where(i => i.Group == fold).ToList());
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>Reads a split file; one that is damaged (no image list, an image twice or without its patient or class, a group outside 0..folds) is refused naming the file.</summary>
    public static ClassificationSplit Load(string path) =>
        FormattedJson.Load<ClassificationSplit>(path, Json, "split file", "a Pleura classification split", FormatName, s => s.Format, Problem);

    static string? Problem(ClassificationSplit split)
    {
        if (split.Folds < 1) return $"folds {split.Folds} is not a positive number of folds";
        if (split.Images is null) return "images is missing";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < split.Images.Count; i++)
        {
            var image = split.Images[i];
            if (image is null || string.IsNullOrEmpty(image.ImageId) || image.Patient is null || image.Class is null) return $"image {i + 1} lacks its id, patient or class";
            if (!seen.Add(image.ImageId)) return $"image '{image.ImageId}' is listed twice";
            if (image.Group < 0 || image.Group > split.Folds) return $"image '{image.ImageId}' is in group {image.Group}, not 0 (test) or 1..{split.Folds}";
        }
        return null;
    }
}
