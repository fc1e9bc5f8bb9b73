namespace Pleura.Data;

/// <summary>Pleura's names for the standard manifest columns, in the order they are written.</summary>
public static class ManifestColumns
{
    public const string ImageId = "image_id";
    public const string Path = "path";
    public const string PatientId = "patient_id";
    public const string Accession = "accession";
    public const string StudyDate = "study_date";
    public const string View = "view";
    public const string Age = "age";
    public const string Sex = "sex";
    public const string Race = "race";
    public const string CovidStatus = "covid_status";
    public const string PatientStatus = "patient_status";

    public static readonly IReadOnlyList<string> Standard = new[]
    {
        ImageId, Path, PatientId, Accession, StudyDate, View, Age, Sex, Race, CovidStatus, PatientStatus,
    };

    public static bool IsStandard(string name) => Standard.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>A label column holding a 0-3 opacity grade: by convention its name contains "grade".</summary>
    public static bool IsGradeColumn(string name) => name.Contains("grade", StringComparison.OrdinalIgnoreCase);
}
