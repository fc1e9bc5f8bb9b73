namespace Pleura.Imaging.Roi;

/// <summary>The patient's left and right lung masks of one image, at one resolution.</summary>
public sealed class LungMasks
{
    public LungMasks(int width, int height, bool[] left, bool[] right)
    {
        if (left.Length != width * height || right.Length != width * height) throw new ArgumentException("masks must be width x height");
        Width = width;
        Height = height;
        Left = left;
        Right = right;
    }

    public int Width { get; }
    public int Height { get; }
    public bool[] Left { get; }
    public bool[] Right { get; }

    public bool[] Of(PatientSide side) => side == PatientSide.Left ? Left : Right;

    /// <summary>From grey mask images (foreground above half intensity).</summary>
    public static LungMasks FromImages(GreyImage left, GreyImage right)
    {
        if (left.Width != right.Width || left.Height != right.Height) throw new ArgumentException("left and right masks differ in size");
        return new LungMasks(left.Width, left.Height, left.Pixels.Select(v => v >= 0.5f).ToArray(), right.Pixels.Select(v => v >= 0.5f).ToArray());
    }

    /// <summary>Both lungs in one mask: what HCS measures attention against.</summary>
    public float[] Union() => Left.Zip(Right, (l, r) => l || r ? 1f : 0f).ToArray();
}
