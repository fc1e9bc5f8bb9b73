namespace Pleura.Dicom.Rendering;

/// <summary>
/// How to choose the VOI transform. By default: the file's first window, else its first VOI LUT, else the min-max of
/// the modality values. A set window or a window index overrides the file's choice.
/// </summary>
public sealed record RenderOptions(int Frame = 0, int? WindowIndex = null, double? WindowCenter = null, double? WindowWidth = null, bool MinMax = false)
{
    public static RenderOptions Default { get; } = new();
}
