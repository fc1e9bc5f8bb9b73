namespace Pleura.Evaluation;

/// <summary>A point estimate with a percentile bootstrap interval.</summary>
public sealed record BootstrapEstimate(double Estimate, double Low, double High, int Iterations, double Confidence)
{
    public override string ToString() => $"{Estimate:0.0000} [{Low:0.0000}, {High:0.0000}]";
}

/// <summary>
/// Percentile bootstrap over cases: resample case indices with replacement, recompute the statistic, take the
/// (1-c)/2 and (1+c)/2 quantiles (linear interpolation, as numpy's default). Deterministic from the seed.
/// Resamples where the statistic is undefined (NaN, e.g. one class only) are skipped.
/// </summary>
public static class Bootstrap
{
    public static BootstrapEstimate Percentile(int caseCount, Func<IReadOnlyList<int>, double> statistic,
        int iterations = 1000, double confidence = 0.95, int seed = 0)
    {
        if (caseCount <= 0) throw new ArgumentOutOfRangeException(nameof(caseCount), caseCount, "need at least one case");
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "need at least one resample");
        var all = Enumerable.Range(0, caseCount).ToArray();
        double estimate = statistic(all);
        var random = new Random(seed);
        var values = new List<double>(iterations);
        var sample = new int[caseCount];
        for (int it = 0; it < iterations; it++)
        {
            for (int i = 0; i < caseCount; i++) sample[i] = random.Next(caseCount);
            double v = statistic(sample);
            if (!double.IsNaN(v)) values.Add(v);
        }
        if (values.Count == 0) return new BootstrapEstimate(estimate, double.NaN, double.NaN, iterations, confidence);
        values.Sort();
        return new BootstrapEstimate(estimate, Quantile(values, (1 - confidence) / 2), Quantile(values, (1 + confidence) / 2), iterations, confidence);
    }

    /// <summary>
    /// Bootstraps several statistics at once from the same resamples (one evaluation per resample), e.g. every
    /// scalar of <see cref="GradeMetrics"/>. Component j of each vector gets its own interval.
    /// </summary>
    public static BootstrapEstimate[] PercentileMany(int caseCount, Func<IReadOnlyList<int>, double[]> statistics,
        int iterations = 1000, double confidence = 0.95, int seed = 0)
    {
        if (caseCount <= 0) throw new ArgumentOutOfRangeException(nameof(caseCount), caseCount, "need at least one case");
        var estimate = statistics(Enumerable.Range(0, caseCount).ToArray());
        var samples = Enumerable.Range(0, estimate.Length).Select(_ => new List<double>(iterations)).ToArray();
        var random = new Random(seed);
        var sample = new int[caseCount];
        for (int it = 0; it < iterations; it++)
        {
            for (int i = 0; i < caseCount; i++) sample[i] = random.Next(caseCount);
            var values = statistics(sample);
            for (int j = 0; j < values.Length; j++) if (!double.IsNaN(values[j])) samples[j].Add(values[j]);
        }
        return estimate.Select((e, j) =>
        {
            var sorted = samples[j];
            sorted.Sort();
            return sorted.Count == 0
                ? new BootstrapEstimate(e, double.NaN, double.NaN, iterations, confidence)
                : new BootstrapEstimate(e, Quantile(sorted, (1 - confidence) / 2), Quantile(sorted, (1 + confidence) / 2), iterations, confidence);
        }).ToArray();
    }

    /// <summary>Convenience for paired label lists: the statistic sees the resampled truth and predictions.</summary>
    public static BootstrapEstimate Percentile(IReadOnlyList<int> truth, IReadOnlyList<int> predicted,
        Func<IReadOnlyList<int>, IReadOnlyList<int>, double> statistic, int iterations = 1000, double confidence = 0.95, int seed = 0)
    {
        Guard.SameLength(truth, predicted);
        return Percentile(truth.Count, idx => statistic(idx.Select(i => truth[i]).ToArray(), idx.Select(i => predicted[i]).ToArray()),
            iterations, confidence, seed);
    }

    /// <summary>Quantile of sorted values with linear interpolation between order statistics.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        double position = q * (sorted.Count - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
