namespace Pleura.Imaging.Roi;

/// <summary>
/// One model for both lungs: it sees every lung as a right lung (the patient's right, on the image's left). The rule
/// is one for every ROI scheme: the left side's input is mirrored left-right after it is cut, so the lung ROI's left
/// lung becomes a right lung, the spine ROI's left half (the image's right half, spine at its left edge) becomes a
/// right half (spine at its right edge), and the whole image (ROI none) is the whole image mirrored, the patient's left
/// lung then lying where the right one usually does. Heatmaps over a mirrored input are mirrored back before they are
/// placed in the image (<see cref="RoiCut.MapBack"/>).
/// </summary>
public static class PooledSides
{
    /// <summary>The name of the setting: `--sides pooled`, `sides: pooled`, and the side of a pooled study trial.</summary>
    public const string Name = "pooled";

    /// <summary>Whether a pooled model's input for this side is mirrored.</summary>
    public static bool Mirrors(PatientSide side) => side == PatientSide.Left;

    /// <summary>The cut a model sees for a side: mirrored for the left side of a pooled model.</summary>
    public static RoiCut For(RoiCut cut, PatientSide side, bool pooled) => pooled && Mirrors(side) ? cut.Mirror() : cut;

    /// <summary>A side's input as the model sees it: cut as usual, then mirrored for the left side of a pooled model.</summary>
    public static (float[] Pixels, RoiCut Cut) Seen(float[] pixels, RoiCut cut, int size, PatientSide side, bool pooled)
    {
        var seen = For(cut, side, pooled);
        return seen.Mirrored ? (RoiCut.MirrorRows(pixels, size), seen) : (pixels, seen);
    }
}
