using Pleura.Dicom.Writing;

namespace Pleura.Dicom.Results;

/// <summary>A coded concept (PS3.3 8.8): value, coding scheme designator and meaning.</summary>
public sealed record Code(string Value, string Scheme, string Meaning)
{
    public DicomDataset ToItem() => new DicomDatasetBuilder()
        .Text(ResultTags.CodeValue, "SH", Value)
        .Text(ResultTags.CodingSchemeDesignator, "SH", Scheme)
        .Text(ResultTags.CodeMeaning, "LO", Meaning)
        .Build();

    public override string ToString() => $"({Value}, {Scheme}, \"{Meaning}\")";
}

/// <summary>
/// The codes the result objects use, in one place. DCM (PS3.16 Annex D) for the TID 1500 / TID 1004 structure, SCT
/// (SNOMED CT) for anatomy and the procedure, UCUM for units. Concepts that no standard scheme has (the 0-3 opacity
/// grade of this project, its class probabilities and expected grade) use the private scheme 99PLEURA, declared in
/// the Coding Scheme Identification Sequence of each report.
/// </summary>
public static class Codes
{
    public const string PrivateScheme = "99PLEURA";

    // TID 1500 Measurement Report and its sub-templates (DCM).
    public static readonly Code ImagingMeasurementReport = new("126000", "DCM", "Imaging Measurement Report");
    public static readonly Code LanguageOfContent = new("121049", "DCM", "Language of Content Item and Descendants");
    public static readonly Code ProcedureReported = new("121058", "DCM", "Procedure reported");
    public static readonly Code ImageLibrary = new("111028", "DCM", "Image Library");
    public static readonly Code ImageLibraryGroup = new("126200", "DCM", "Image Library Group");
    public static readonly Code ImagingMeasurements = new("126010", "DCM", "Imaging Measurements");
    public static readonly Code MeasurementGroup = new("125007", "DCM", "Measurement Group");
    public static readonly Code TrackingIdentifier = new("112039", "DCM", "Tracking Identifier");
    public static readonly Code TrackingUniqueIdentifier = new("112040", "DCM", "Tracking Unique Identifier");
    public static readonly Code Finding = new("121071", "DCM", "Finding");
    public static readonly Code AlgorithmName = new("111001", "DCM", "Algorithm Name");
    public static readonly Code AlgorithmVersion = new("111003", "DCM", "Algorithm Version");

    // TID 1002 / 1004 observer context: the model is a device observer.
    public static readonly Code ObserverType = new("121005", "DCM", "Observer Type");
    public static readonly Code Device = new("121007", "DCM", "Device");
    public static readonly Code DeviceObserverUid = new("121012", "DCM", "Device Observer UID");
    public static readonly Code DeviceObserverName = new("121013", "DCM", "Device Observer Name");
    public static readonly Code DeviceObserverManufacturer = new("121014", "DCM", "Device Observer Manufacturer");
    public static readonly Code DeviceObserverModelName = new("121015", "DCM", "Device Observer Model Name");

    // Language (RFC 5646), procedure and anatomy (SNOMED CT).
    public static readonly Code EnglishUS = new("en-US", "RFC5646", "English (United States)");
    public static readonly Code ChestXRay = new("399208008", "SCT", "Plain chest X-ray");
    public static readonly Code FindingSite = new("363698007", "SCT", "Finding Site");
    public static readonly Code RightLung = new("3341006", "SCT", "Right lung structure");
    public static readonly Code LeftLung = new("44029006", "SCT", "Left lung structure");

    // Units (UCUM).
    public static readonly Code NoUnits = new("1", "UCUM", "no units");
    public static readonly Code Percent = new("%", "UCUM", "percent");
    public static readonly Code GradeUnit = new("{grade}", "UCUM", "grade");

    // Pleura's own concepts (99PLEURA): the per-lung opacity grade of METHOD (0 none, 1 < 1/3, 2 1/3-2/3, 3 > 2/3 of
    // the lung opaque), the model's probability of each grade and the expected grade under those probabilities.
    public static readonly Code LungOpacity = new("LUNG-OPACITY", PrivateScheme, "Lung opacity");
    public static readonly Code OpacityGrade = new("OPACITY-GRADE", PrivateScheme, "Lung opacity grade");
    public static readonly Code ExpectedGrade = new("EXPECTED-GRADE", PrivateScheme, "Expected lung opacity grade");
    public static readonly Code OpacityPercent = new("OPACITY-PERCENT", PrivateScheme, "Percent of lung opaque");

    static readonly string[] GradeMeanings =
        ["Grade 0: no opacity", "Grade 1: less than one third opaque", "Grade 2: one to two thirds opaque", "Grade 3: more than two thirds opaque"];

    public static Code Grade(int grade) => grade >= 0 && grade < GradeMeanings.Length
        ? new Code($"GRADE-{grade}", PrivateScheme, GradeMeanings[grade])
        : new Code($"GRADE-{grade}", PrivateScheme, $"Grade {grade}");

    public static Code GradeProbability(int grade) => new($"P-GRADE-{grade}", PrivateScheme, $"Probability of opacity grade {grade}");
}
