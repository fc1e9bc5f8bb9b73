using System.Globalization;
using Pleura.Data;

namespace Pleura.Study;

/// <summary>How level 4 groups images: a manifest column's value, or for age, a band.</summary>
public static class Subgroups
{
    public static Func<ManifestRow, string> Key(string column, Manifest manifest)
    {
        Func<ManifestRow, string> value = column.ToLowerInvariant() switch
        {
            ManifestColumns.Age => r => r.Age is { } a ? AgeBand(a) : "",
            ManifestColumns.Sex => r => r.Sex,
            ManifestColumns.Race => r => r.Race,
            ManifestColumns.CovidStatus => r => r.CovidStatus,
            ManifestColumns.PatientStatus => r => r.PatientStatus,
            ManifestColumns.View => r => r.View,
            _ when manifest.ExtraColumns.Contains(column) => r => r.GetExtra(column),
            _ => throw new InvalidDataException($"grouping column '{column}' is not in the manifest"),
        };
        return r => value(r) is { Length: > 0 } v ? v : "(missing)";
    }

    static string AgeBand(double age) => age switch
    {
        < 40 => "<40",
        < 60 => "40-59",
        < 80 => "60-79",
        _ => "80+",
    };
}
