using System.Globalization;
using System.Text.Json;
using Pleura.Dicom;

namespace Pleura.DicomWeb;

/// <summary>
/// One result of a QIDO-RS search in the DICOM JSON model (PS3.18 F.2): attributes keyed by 8-hex-digit tags, each
/// with a VR and a Value array (person names as objects with an Alphabetic group).
/// </summary>
public sealed class DicomJsonObject(JsonElement json)
{
    public JsonElement Json { get; } = json;

    public string? GetString(DicomTag tag) => GetStrings(tag) is [var first, ..] ? first : null;

    public string[] GetStrings(DicomTag tag)
    {
        if (Json.ValueKind != JsonValueKind.Object
            || !Json.TryGetProperty($"{tag.Group:X4}{tag.Element:X4}", out var attribute)
            || !attribute.TryGetProperty("Value", out var values) || values.ValueKind != JsonValueKind.Array)
            return [];
        return values.EnumerateArray().Select(v => v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() ?? "",
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.Object when v.TryGetProperty("Alphabetic", out var name) => name.GetString() ?? "",
            _ => v.GetRawText(),
        }).ToArray();
    }

    public int? GetInt(DicomTag tag) =>
        int.TryParse(GetString(tag), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    public string? StudyInstanceUID => GetString(DicomTag.StudyInstanceUID);
    public string? SeriesInstanceUID => GetString(DicomTag.SeriesInstanceUID);
    public string? SOPInstanceUID => GetString(DicomTag.SOPInstanceUID);
    public string? SOPClassUID => GetString(DicomTag.SOPClassUID);
    public string? Modality => GetString(DicomTag.Modality);
}
