namespace Pleura.Imaging;

/// <summary>
/// Image statistics that carry where and from whom a radiograph came rather than what the lungs show: the stored size
/// and aspect ratio (scanners, archives and resizing pipelines), the global intensity distribution (exposure, processing,
/// body size: a child's chest fills less of the film), and the border strip (collimation, labels, padding). A
/// classifier on these alone measures how far a data set's classes can be told apart by source and age.
/// </summary>
public static class ConfoundFeatures
{
    /// <summary>The border strip is this share of the shorter side, on every edge.</summary>
    public const double BorderShare = 0.05;

    public static readonly IReadOnlyList<string> SizeNames = new[] { "width", "height", "aspect_ratio", "log_pixels" };
    public static readonly IReadOnlyList<string> IntensityNames = new[]
    {
        "mean", "sd", "skewness", "kurtosis", "p05", "p25", "p50", "p75", "p95", "share_black", "share_white", "centre_mean",
    };
    public static readonly IReadOnlyList<string> BorderNames = new[] { "border_mean", "border_sd", "border_share_black", "border_minus_centre" };

    /// <summary>Every feature, in the order of <see cref="SizeNames"/>, <see cref="IntensityNames"/>, <see cref="BorderNames"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = SizeNames.Concat(IntensityNames).Concat(BorderNames).ToList();

    /// <param name="image">The image as stored (not resized: its size is one of the signals).</param>
    public static double[] Of(GreyImage image)
    {
        int w = image.Width, h = image.Height;
        var all = image.Pixels;
        var (mean, sd, skew, kurt) = Moments(all);
        var sorted = (float[])all.Clone();
        Array.Sort(sorted);
        double Q(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        int strip = Math.Max(1, (int)Math.Round(Math.Min(w, h) * BorderShare));
        var border = new List<float>();
        var centre = new List<float>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float v = all[y * w + x];
                if (x < strip || y < strip || x >= w - strip || y >= h - strip) border.Add(v);
                // The central half of each side: mostly chest, whatever the source.
                if (x >= w / 4 && x < w - w / 4 && y >= h / 4 && y < h - h / 4) centre.Add(v);
            }
        var (borderMean, borderSd, _, _) = Moments(border);
        double centreMean = centre.Count == 0 ? mean : centre.Average(v => (double)v);
        return new[]
        {
            w, h, (double)w / h, Math.Log((double)w * h),
            mean, sd, skew, kurt, Q(0.05), Q(0.25), Q(0.5), Q(0.75), Q(0.95),
            all.Count(v => v < 0.02f) / (double)all.Length, all.Count(v => v > 0.98f) / (double)all.Length, centreMean,
            borderMean, borderSd, border.Count(v => v < 0.02f) / (double)border.Count, borderMean - centreMean,
        };
    }

    /// <summary>Mean, standard deviation, skewness and excess kurtosis (population forms; 0 for a flat image).</summary>
    static (double Mean, double Sd, double Skewness, double Kurtosis) Moments(IReadOnlyCollection<float> values)
    {
        double n = values.Count, mean = values.Sum(v => (double)v) / n, m2 = 0, m3 = 0, m4 = 0;
        foreach (var v in values)
        {
            double d = v - mean, d2 = d * d;
            m2 += d2; m3 += d2 * d; m4 += d2 * d2;
        }
        m2 /= n; m3 /= n; m4 /= n;
        return m2 <= 1e-18 ? (mean, 0, 0, 0) : (mean, Math.Sqrt(m2), m3 / Math.Pow(m2, 1.5), m4 / (m2 * m2) - 3);
    }
}
