namespace Pleura.Imaging.Roi;

/// <summary>What a side's model sees (METHOD section 3).</summary>
public enum RoiScheme
{
    /// <summary>The whole image.</summary>
    None,
    /// <summary>That lung only, other pixels zeroed, cropped to the lung's box with a margin.</summary>
    Lung,
    /// <summary>The patient-side half of the image at the fitted spine midline.</summary>
    Spine,
}

public static class RoiSchemes
{
    public static RoiScheme Parse(string text) =>
        TryParse(text, out var scheme) ? scheme : throw new ArgumentException($"ROI scheme '{text}' must be none, lung or spine");

    public static bool TryParse(string text, out RoiScheme scheme)
    {
        RoiScheme? found = text.Trim().ToLowerInvariant() switch
        {
            "none" or "whole" => RoiScheme.None,
            "lung" or "lungs" => RoiScheme.Lung,
            "spine" or "half" => RoiScheme.Spine,
            _ => null,
        };
        scheme = found ?? RoiScheme.None;
        return found is not null;
    }

    public static string Name(this RoiScheme scheme) => scheme.ToString().ToLowerInvariant();
}

/// <summary>Which lung: the patient's left lies on the image's right in a frontal view.</summary>
public enum PatientSide { Left, Right }

/// <summary>The one spelling of a side everywhere Pleura writes or reads it (files, store, study files, captions): "left", "right".</summary>
public static class PatientSides
{
    public static IReadOnlyList<PatientSide> Both { get; } = new[] { PatientSide.Left, PatientSide.Right };

    public static string Name(this PatientSide side) => side == PatientSide.Left ? "left" : "right";

    public static PatientSide Parse(string text) =>
        TryParse(text, out var side) ? side : throw new ArgumentException($"side '{text}' must be left or right");

    public static bool TryParse(string text, out PatientSide side)
    {
        PatientSide? found = text.Trim().ToLowerInvariant() switch { "left" => PatientSide.Left, "right" => PatientSide.Right, _ => null };
        side = found ?? PatientSide.Left;
        return found is not null;
    }
}
