namespace Pleura.Imaging.Roi;

/// <summary>
/// The spine midline as a straight line x = A + B·y in pixel coordinates, fitted to a spine mask's row centres (from a
/// spine U-Net trained on <see cref="Band"/> masks, or given) or else to the midpoints between the lungs' medial borders
/// row by row. A line, not a curve: it follows a rotated patient and is what splits the image into two halves; rows far
/// from the fit (e.g. where a lung border is missing) are dropped once and the line refitted.
/// </summary>
public sealed record Midline(double A, double B, int Rows)
{
    public double XAt(double y) => A + B * y;

    /// <summary>Null when fewer than 5 rows show both lungs.</summary>
    public static Midline? Fit(LungMasks masks)
    {
        var points = MedialBorders(masks).Select(b => ((double)b.Y, (b.RightMedial + b.LeftMedial) / 2.0)).ToList();
        return points.Count < 5 ? null : Robust(points);
    }

    /// <summary>
    /// Per row where both lungs show, side by side: the patient's right lung lies on the image's left, so its medial
    /// border is its rightmost pixel, and the left lung's is its leftmost.
    /// </summary>
    static IEnumerable<(int Y, int RightMedial, int LeftMedial)> MedialBorders(LungMasks masks)
    {
        for (int y = 0; y < masks.Height; y++)
        {
            int rightMedial = -1, leftMedial = -1;
            for (int x = 0; x < masks.Width; x++)
            {
                if (masks.Right[y * masks.Width + x]) rightMedial = x;
                if (leftMedial < 0 && masks.Left[y * masks.Width + x]) leftMedial = x;
            }
            if (rightMedial >= 0 && leftMedial > rightMedial) yield return (y, rightMedial, leftMedial);
        }
    }

    /// <summary>From a spine (or mediastinum band) mask: the line through its per-row centres, refitted once without outliers.</summary>
    public static Midline? FromSpine(bool[] spine, int width, int height)
    {
        var points = new List<(double Y, double X)>();
        for (int y = 0; y < height; y++)
        {
            int count = 0;
            double sum = 0;
            for (int x = 0; x < width; x++) if (spine[y * width + x]) { count++; sum += x; }
            if (count > 0) points.Add((y, sum / count));
        }
        return points.Count < 5 ? null : Robust(points);
    }

    /// <summary>
    /// The band between the two lungs' medial borders, row by row over the rows where both lungs show: the spine and
    /// mediastinum as lung masks imply them. No spine annotations exist here; this is what a spine U-Net learns.
    /// </summary>
    public static bool[] Band(LungMasks masks)
    {
        var band = new bool[masks.Width * masks.Height];
        foreach (var (y, rightMedial, leftMedial) in MedialBorders(masks))
            for (int x = rightMedial + 1; x < leftMedial; x++) band[y * masks.Width + x] = true;
        return band;
    }

    static Midline Robust(List<(double Y, double X)> points)
    {
        var line = LeastSquares(points);
        var residuals = points.Select(p => Math.Abs(p.X - line.XAt(p.Y))).OrderBy(r => r).ToList();
        double cutoff = Math.Max(2.0, 3 * 1.4826 * residuals[residuals.Count / 2]);
        var kept = points.Where(p => Math.Abs(p.X - line.XAt(p.Y)) <= cutoff).ToList();
        return kept.Count >= 5 ? LeastSquares(kept) : line;
    }

    static Midline LeastSquares(IReadOnlyList<(double Y, double X)> points)
    {
        double my = points.Average(p => p.Y), mx = points.Average(p => p.X);
        double syy = points.Sum(p => (p.Y - my) * (p.Y - my)), sxy = points.Sum(p => (p.Y - my) * (p.X - mx));
        double b = syy > 0 ? sxy / syy : 0;
        return new Midline(mx - b * my, b, points.Count);
    }
}
