namespace Pleura.Dicom;

/// <summary>Why a DICOM instance is not a frontal chest radiograph: the rule's key (as ingest's flow counts it) and the reason in words.</summary>
public sealed record NotGradable(string Rule, string Reason);

/// <summary>
/// The one rule, from the header alone, for "a frontal chest radiograph the grader takes": the images a model is trained
/// on (`pleura ingest`) and the images it is asked to grade (`grade-study`, the server) pass the same test. An image
/// (pixel data), a projection radiograph (CR, DX; DR and RG are retired or vendor forms still seen), of the chest where
/// the body part is given, not a lateral view, grey (MONOCHROME1 or 2) where the photometric interpretation is given.
/// Curation-only rules (times, age, duplicates, size) stay with ingest.
/// </summary>
public static class FrontalChestRadiograph
{
    public const string NonImage = "non_image";
    public const string NotRadiograph = "not_radiograph";
    public const string NotChest = "not_chest";
    public const string Lateral = "lateral_view";
    public const string NotGrey = "not_grey";

    public static readonly IReadOnlyList<string> Modalities = ["CR", "DX", "DR", "RG"];
    public static readonly IReadOnlyList<string> ChestParts = ["CHEST", "THORAX", "LUNG", "PORT CHEST"];
    public static readonly IReadOnlyList<string> LateralViews = ["LL", "RL", "LAT", "LATERAL", "LLD", "RLD"];
    static readonly string[] GreyPhotometrics = ["MONOCHROME1", "MONOCHROME2"];

    /// <summary>SOP classes that hold no radiograph: structured reports, encapsulated documents, presentation states, key objects, raw data.</summary>
    static readonly string[] NonImageSopClassPrefixes =
    [
        "1.2.840.10008.5.1.4.1.1.88.", "1.2.840.10008.5.1.4.1.1.104.", "1.2.840.10008.5.1.4.1.1.11.", "1.2.840.10008.5.1.4.1.1.66",
        "1.2.840.10008.5.1.4.1.1.9.", "1.2.840.10008.5.1.4.1.1.481.",
    ];

    public static string NotARadiograph(string? modality) => modality is null
        ? "modality not given: the grader takes CR or DX radiographs"
        : $"not a radiograph (modality {modality}; the grader takes CR or DX)";

    /// <summary>Null when the instance passes, else the first rule it fails, in the order of the constants above.</summary>
    /// <remarks>A header read without its pixel data (DICOMweb metadata) still counts as an image when it has Rows.</remarks>
    public static NotGradable? Check(DicomDataset header)
    {
        var sopClass = header.SOPClassUID ?? "";
        if ((!header.Contains(DicomTag.PixelData) && header.Rows is null) || NonImageSopClassPrefixes.Any(p => sopClass.StartsWith(p, StringComparison.Ordinal)))
            return new(NonImage, $"not an image (SOP class {header.SOPClassUID ?? "unknown"}, modality {header.Modality ?? "none"})");
        var modality = header.Modality?.Trim().ToUpperInvariant();
        if (modality is null || !Modalities.Contains(modality)) return new(NotRadiograph, NotARadiograph(modality));
        if (header.BodyPartExamined?.Trim().ToUpperInvariant() is { Length: > 0 } part && !ChestParts.Contains(part))
            return new(NotChest, $"not a chest radiograph (body part {part})");
        if (header.ViewPosition?.Trim().ToUpperInvariant() is { Length: > 0 } view && LateralViews.Contains(view))
            return new(Lateral, $"lateral view ({view}): the grader takes frontal (PA or AP) images");
        if (header.PhotometricInterpretation?.Trim().ToUpperInvariant() is { Length: > 0 } photometric && !GreyPhotometrics.Contains(photometric))
            return new(NotGrey, $"not a grey image (photometric interpretation {photometric})");
        return null;
    }
}
