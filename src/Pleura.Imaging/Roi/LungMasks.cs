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

    /// <summary>
    /// From one mask of both lungs (as the COVID-19 collection gives them): each connected region goes to the lung on
    /// its side of the image's centre, the patient's right being the image's left in a frontal view.
    /// </summary>
    public static LungMasks FromBothLungs(GreyImage both)
    {
        int w = both.Width, h = both.Height;
        var left = new bool[w * h];
        var right = new bool[w * h];
        foreach (var region in Regions(both.Pixels.Select(v => v >= 0.5f).ToArray(), w, h))
        {
            double cx = region.Average(i => i % w);
            var target = cx < w / 2.0 ? right : left;
            foreach (int i in region) target[i] = true;
        }
        return new LungMasks(w, h, left, right);
    }

    /// <summary>The masks at another resolution (nearest neighbour: a mask stays a mask).</summary>
    public LungMasks Resized(int width, int height)
    {
        if (width == Width && height == Height) return this;
        bool[] Resize(bool[] mask)
        {
            var result = new bool[width * height];
            for (int y = 0; y < height; y++)
            {
                int sy = Math.Min(Height - 1, (int)((y + 0.5) * Height / height));
                for (int x = 0; x < width; x++) result[y * width + x] = mask[sy * Width + Math.Min(Width - 1, (int)((x + 0.5) * Width / width))];
            }
            return result;
        }
        return new LungMasks(width, height, Resize(Left), Resize(Right));
    }

    /// <summary>
    /// Post-processing for predicted masks: per lung, the largest connected region only, with its holes filled.
    /// </summary>
    public LungMasks Cleaned() => new(Width, Height, Clean(Left), Clean(Right));

    bool[] Clean(bool[] mask)
    {
        var largest = Regions(mask, Width, Height).OrderByDescending(r => r.Count).FirstOrDefault();
        var kept = new bool[mask.Length];
        if (largest is null) return kept;
        foreach (int i in largest) kept[i] = true;
        // Holes: background regions that do not touch the border.
        foreach (var hole in Regions(kept.Select(v => !v).ToArray(), Width, Height))
            if (!hole.Any(i => i % Width == 0 || i % Width == Width - 1 || i / Width == 0 || i / Width == Height - 1))
                foreach (int i in hole) kept[i] = true;
        return kept;
    }

    /// <summary>4-connected regions of the true pixels.</summary>
    static List<List<int>> Regions(bool[] mask, int w, int h)
    {
        var seen = new bool[mask.Length];
        var regions = new List<List<int>>();
        var stack = new Stack<int>();
        for (int start = 0; start < mask.Length; start++)
        {
            if (!mask[start] || seen[start]) continue;
            var region = new List<int>();
            seen[start] = true;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                region.Add(i);
                int x = i % w, y = i / w;
                foreach (int n in new[] { x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1 })
                    if (n >= 0 && mask[n] && !seen[n]) { seen[n] = true; stack.Push(n); }
            }
            regions.Add(region);
        }
        return regions;
    }

    /// <summary>Both lungs in one mask: what HCS measures attention against.</summary>
    public float[] Union() => Left.Zip(Right, (l, r) => l || r ? 1f : 0f).ToArray();
}
