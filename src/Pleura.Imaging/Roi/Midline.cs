namespace Pleura.Imaging.Roi;

/// <summary>
/// The spine midline as a straight line x = A + B·y in pixel coordinates, fitted to the midpoints between the lungs'
/// medial borders row by row. A line, not a curve: it follows a rotated patient and is what splits the image into two
/// halves; rows far from the fit (e.g. where a lung border is missing) are dropped once and the line refitted.
/// </summary>
public sealed record Midline(double A, double B, int Rows)
{
    public double XAt(double y) => A + B * y;

    /// <summary>Null when fewer than 5 rows show both lungs.</summary>
    public static Midline? Fit(LungMasks masks)
    {
        var points = new List<(double Y, double X)>();
        for (int y = 0; y < masks.Height; y++)
        {
            // Patient's right lung on the image's left: its medial border is its rightmost pixel, and vice versa.
            int rightMedial = -1, leftMedial = -1;
            for (int x = 0; x < masks.Width; x++)
            {
                if (masks.Right[y * masks.Width + x]) rightMedial = x;
                if (leftMedial < 0 && masks.Left[y * masks.Width + x]) leftMedial = x;
            }
            if (rightMedial >= 0 && leftMedial >= 0 && leftMedial > rightMedial) points.Add((y, (rightMedial + leftMedial) / 2.0));
        }
        if (points.Count < 5) return null;
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
