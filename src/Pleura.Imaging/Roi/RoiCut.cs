namespace Pleura.Imaging.Roi;

/// <summary>Why an image's ROI could not be made; the rule applied is stated by whoever handles it.</summary>
public sealed class RoiException(string reason) : Exception(reason);

/// <summary>
/// Where a side's model looks in one image: the pixels kept (others zeroed) and the box cropped, in the coordinates of
/// the image it was made from. <see cref="Apply"/> makes the model's input; <see cref="MapBack"/> puts a heatmap over
/// the input back where it belongs in the whole image (zero outside the box).
/// </summary>
public sealed class RoiCut
{
    RoiCut(int width, int height, bool[]? keep, int x0, int y0, int x1, int y1, bool mirrored = false)
    {
        Width = width; Height = height; Keep = keep; X0 = x0; Y0 = y0; X1 = x1; Y1 = y1; Mirrored = mirrored;
    }

    /// <summary>The input is the box mirrored left-right (a model pooled over both lungs; see <see cref="PooledSides"/>).</summary>
    public bool Mirrored { get; }

    /// <summary>The same cut with its input mirrored left-right; heatmaps over that input are mirrored back by <see cref="MapBack"/>.</summary>
    public RoiCut Mirror() => new(Width, Height, Keep, X0, Y0, X1, Y1, !Mirrored);

    public int Width { get; }
    public int Height { get; }
    /// <summary>Null: every pixel kept.</summary>
    public bool[]? Keep { get; }
    public int X0 { get; }
    public int Y0 { get; }
    public int X1 { get; }
    public int Y1 { get; }

    /// <summary>Smallest lung, as a share of the image, that counts as segmented.</summary>
    public const double MinLungShare = 0.005;
    /// <summary>Largest share of the image both lungs may cover together.</summary>
    public const double MaxLungsShare = 0.6;
    /// <summary>Largest share of a lung allowed on the wrong side of the midline.</summary>
    public const double MaxLungAcrossMidline = 0.10;
    /// <summary>Margin around a lung's box, as a share of the box's size on each side.</summary>
    public const double LungMargin = 0.10;

    public static RoiCut Whole(int width, int height) => new(width, height, null, 0, 0, width, height);

    /// <param name="spine">Optional spine mask at the same size: the midline follows it; without it, the lungs' medial borders.</param>
    public static RoiCut For(RoiScheme scheme, PatientSide side, LungMasks? masks, int width, int height, bool[]? spine = null)
    {
        if (scheme == RoiScheme.None) return Whole(width, height);
        if (masks is null) throw new RoiException("no lung masks");
        if (masks.Width != width || masks.Height != height) throw new ArgumentException("masks and image differ in size");
        CheckLung(masks, PatientSide.Left);
        CheckLung(masks, PatientSide.Right);
        return scheme == RoiScheme.Lung ? Lung(side, masks) : Half(side, masks, spine);
    }

    /// <summary>
    /// An image-level ROI (whole-image tasks such as pneumonia type, METHOD section 1): both lungs kept, everything
    /// else zeroed, cropped to the box around both with the same margin as one lung's cut.
    /// </summary>
    public static RoiCut BothLungs(LungMasks masks)
    {
        CheckLung(masks, PatientSide.Left);
        CheckLung(masks, PatientSide.Right);
        var both = masks.Left.Zip(masks.Right, (l, r) => l || r).ToArray();
        double share = both.Count(v => v) / (double)both.Length;
        // Lungs that fill the image are a failed segmentation, and a cut of them would hide nothing.
        if (share > MaxLungsShare) throw new RoiException($"the lungs would cover {share:P0} of the image (a failed segmentation?)");
        return Box(both, masks.Width, masks.Height);
    }

    static void CheckLung(LungMasks masks, PatientSide side)
    {
        double share = masks.Of(side).Count(v => v) / (double)(masks.Width * masks.Height);
        if (share < MinLungShare) throw new RoiException($"{side.Name()} lung empty or tiny ({share:P2} of the image)");
    }

    static RoiCut Lung(PatientSide side, LungMasks masks) => Box(masks.Of(side), masks.Width, masks.Height);

    /// <summary>The mask kept, cropped to its bounding box grown by <see cref="LungMargin"/>.</summary>
    static RoiCut Box(bool[] mask, int w, int h)
    {
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (mask[y * w + x]) { x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y); }
        int mx = (int)Math.Ceiling((x1 - x0 + 1) * LungMargin), my = (int)Math.Ceiling((y1 - y0 + 1) * LungMargin);
        return new RoiCut(w, h, mask, Math.Max(0, x0 - mx), Math.Max(0, y0 - my), Math.Min(w, x1 + 1 + mx), Math.Min(h, y1 + 1 + my));
    }

    static RoiCut Half(PatientSide side, LungMasks masks, bool[]? spine)
    {
        var line = (spine is null ? null : Midline.FromSpine(spine, masks.Width, masks.Height)) ?? Midline.Fit(masks) ?? throw new RoiException("no midline: fewer than 5 rows show both lungs side by side (lateral or flipped view?)");
        int w = masks.Width, h = masks.Height;
        // The patient's right is the image's left: the right half keeps pixels left of the line.
        bool OnSide(int x, int y, PatientSide s) => s == PatientSide.Right ? x + 0.5 < line.XAt(y + 0.5) : x + 0.5 >= line.XAt(y + 0.5);
        foreach (var lung in new[] { PatientSide.Left, PatientSide.Right })
        {
            var mask = masks.Of(lung);
            int total = 0, across = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (mask[y * w + x]) { total++; if (!OnSide(x, y, lung)) across++; }
            if (across > MaxLungAcrossMidline * total)
                throw new RoiException($"{lung.Name()} lung lies {across / (double)total:P0} across the midline (flipped, lateral or rotated image?)");
        }
        var keep = new bool[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                keep[y * w + x] = OnSide(x, y, side);
        double top = line.XAt(0), bottom = line.XAt(h);
        return side == PatientSide.Right
            ? new RoiCut(w, h, keep, 0, 0, Math.Clamp((int)Math.Ceiling(Math.Max(top, bottom)), 1, w), h)
            : new RoiCut(w, h, keep, Math.Clamp((int)Math.Floor(Math.Min(top, bottom)), 0, w - 1), 0, w, h);
    }

    /// <summary>The model's input: kept pixels of the box, resized to size x size.</summary>
    public float[] Apply(float[] pixels, int size)
    {
        if (pixels.Length != Width * Height) throw new ArgumentException($"image has {pixels.Length} pixels, the cut was made for {Width}x{Height}");
        int bw = X1 - X0, bh = Y1 - Y0;
        var box = new float[bw * bh];
        for (int y = 0; y < bh; y++)
            for (int x = 0; x < bw; x++)
            {
                int i = (Y0 + y) * Width + X0 + x;
                box[y * bw + x] = Keep is null || Keep[i] ? pixels[i] : 0f;
            }
        var input = Bilinear.Resize(box, bw, bh, size, size);
        return Mirrored ? MirrorRows(input, size) : input;
    }

    /// <summary>A map over the model's input placed in the whole image and resampled to <paramref name="size"/>² (the overlay's grid).</summary>
    public float[] MapBackAtInputSize(float[] map, int size)
    {
        var whole = MapBack(map, size);
        return Width == size && Height == size ? whole : Bilinear.Resize(whole, Width, Height, size, size);
    }

    /// <summary>A map over the model's input (size x size) placed in the whole image, zero outside the box.</summary>
    public float[] MapBack(float[] map, int size)
    {
        var resized = Bilinear.Resize(Mirrored ? MirrorRows(map, size) : map, size, size, X1 - X0, Y1 - Y0);
        var whole = new float[Width * Height];
        for (int y = Y0; y < Y1; y++)
            Array.Copy(resized, (y - Y0) * (X1 - X0), whole, y * Width + X0, X1 - X0);
        return whole;
    }

    /// <summary>A square map mirrored left-right (each row reversed).</summary>
    public static float[] MirrorRows(float[] map, int size)
    {
        var mirrored = new float[map.Length];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                mirrored[y * size + x] = map[y * size + size - 1 - x];
        return mirrored;
    }
}
