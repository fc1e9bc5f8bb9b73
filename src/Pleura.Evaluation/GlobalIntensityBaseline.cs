namespace Pleura.Evaluation;

/// <summary>
/// A deliberately naive grader: predicts a grade from global image statistics alone (mean and standard deviation of
/// intensity) with a nearest-class-centroid rule on standardised features. A data set on which this does well can
/// be solved without looking at the lungs; a model must beat it to show it learned anatomy.
/// </summary>
public sealed class GlobalIntensityBaseline
{
    readonly Dictionary<int, (double Mean, double Sd)> _centroids;
    readonly (double Mean, double Sd) _meanScale, _sdScale;

    GlobalIntensityBaseline(Dictionary<int, (double, double)> centroids, (double, double) meanScale, (double, double) sdScale)
    {
        _centroids = centroids;
        _meanScale = meanScale;
        _sdScale = sdScale;
    }

    /// <summary>The two global features of an image.</summary>
    public static (double Mean, double Sd) Features(IReadOnlyList<float> pixels)
    {
        double sum = 0, sq = 0;
        foreach (var p in pixels) { sum += p; sq += (double)p * p; }
        double mean = sum / pixels.Count;
        return (mean, Math.Sqrt(Math.Max(0, sq / pixels.Count - mean * mean)));
    }

    public static GlobalIntensityBaseline Fit(IReadOnlyList<(double Mean, double Sd)> features, IReadOnlyList<int> grades)
    {
        if (features.Count != grades.Count || features.Count == 0) throw new ArgumentException("need one grade per feature pair, and at least one");
        var meanScale = Scale(features.Select(f => f.Mean).ToArray());
        var sdScale = Scale(features.Select(f => f.Sd).ToArray());
        var centroids = features.Zip(grades)
            .GroupBy(x => x.Second)
            .ToDictionary(g => g.Key, g => (g.Average(x => Standard(x.First.Mean, meanScale)), g.Average(x => Standard(x.First.Sd, sdScale))));
        return new GlobalIntensityBaseline(centroids, meanScale, sdScale);
    }

    public int Predict((double Mean, double Sd) features)
    {
        double m = Standard(features.Mean, _meanScale), s = Standard(features.Sd, _sdScale);
        return _centroids.MinBy(c => Math.Pow(c.Value.Mean - m, 2) + Math.Pow(c.Value.Sd - s, 2)).Key;
    }

    static (double, double) Scale(double[] values)
    {
        double mean = values.Average();
        double sd = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        return (mean, sd > 0 ? sd : 1);
    }

    static double Standard(double value, (double Mean, double Sd) scale) => (value - scale.Mean) / scale.Sd;
}
