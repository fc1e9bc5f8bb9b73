using System.Globalization;

namespace Pleura.Dicom.Rendering;

/// <summary>
/// Which transforms made a rendered image, for a manifest: one line each, the window used if any, and whether the
/// output was inverted to read as MONOCHROME2 (<see cref="Inversion"/>: the attribute that said so, or "MONOCHROME2").
/// </summary>
public sealed record RenderRecord(string ModalityTransform, string VoiTransform, double? WindowCenter, double? WindowWidth, bool Inverted, string Inversion)
{
    public override string ToString() =>
        $"modality: {ModalityTransform}; voi: {VoiTransform}; " + (Inverted ? $"inverted ({Inversion})" : $"not inverted ({Inversion})");

    internal static string Number(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}
