namespace Pleura.Data;

/// <summary>
/// One image of a data set: where it is, whose it is, its acquisition facts, and any other columns (labels such as
/// per-reader, per-side opacity grades) kept verbatim in <see cref="Extra"/>.
/// </summary>
public sealed record ManifestRow
{
    public required string ImageId { get; init; }
    /// <summary>As written in the manifest: absolute, or relative to the manifest's folder.</summary>
    public required string Path { get; init; }
    public string PatientId { get; init; } = "";
    public string Accession { get; init; } = "";
    public string StudyDate { get; init; } = "";
    public string View { get; init; } = "";
    public double? Age { get; init; }
    public string Sex { get; init; } = "";
    public string Race { get; init; } = "";
    public string CovidStatus { get; init; } = "";
    public string PatientStatus { get; init; } = "";

    /// <summary>Every other column by name (labels, reader grades, outcomes...). Missing key = blank.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    /// <summary>Line of the source file this row came from (header = line 1), for messages a user can find.</summary>
    public int SourceLine { get; init; }

    public string GetExtra(string column) => Extra.TryGetValue(column, out var v) ? v : "";
}
