using System.Globalization;

namespace Pleura.Dicom.Rendering;

/// <summary>Which transforms made a rendered image, for a manifest: one line each, and the window used if any.</summary>
public sealed record RenderRecord(string ModalityTransform, string VoiTransform, double? WindowCenter, double? WindowWidth, bool InvertedMonochrome1)
{
    public override string ToString() =>
        $"modality: {ModalityTransform}; voi: {VoiTransform}; " + (InvertedMonochrome1 ? "MONOCHROME1 inverted" : "MONOCHROME2");

    internal static string Number(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}
