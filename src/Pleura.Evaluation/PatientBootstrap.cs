namespace Pleura.Evaluation;

/// <summary>One lung's grade by a model (or a reader) against a reference, with the patient it belongs to.</summary>
public sealed record GradedLung(string ImageId, string PatientId, string Side, int Truth, int Predicted);

/// <summary>
/// Grade metrics over lungs, averaged over the sides, with percentile bootstrap intervals that resample
/// <b>patients</b> (all lungs of every image of a drawn patient come together): images of one patient are not
/// independent, so resampling images or lungs would make the intervals too narrow. Paired comparisons draw the same
/// patients for both graders, so the interval is that of the difference, not of two separate figures.
/// </summary>
public static class PatientBootstrap
{
    /// <summary>The figures this class reports, each a mean over the sides present.</summary>
    public static readonly IReadOnlyList<(string Name, bool HigherIsBetter, Func<GradeMetrics, double> Value)> Metrics = new (string, bool, Func<GradeMetrics, double>)[]
    {
        (MetricTable.MacroMae, false, m => m.MacroMae), (MetricTable.Mae, false, m => m.Mae), (MetricTable.Accuracy, true, m => m.Accuracy),
        (MetricTable.QuadraticKappa, true, m => m.QuadraticKappa),
    };

    /// <summary>Each metric of <see cref="Metrics"/> (mean over sides) with its interval over patients; then the same per side.</summary>
    public static IReadOnlyList<(string Metric, string Side, BootstrapEstimate Estimate)> Estimate(IReadOnlyList<GradedLung> lungs, int iterations = 1000, int seed = 0)
    {
        var byPatient = ByPatient(lungs);
        var sides = Sides(lungs);
        var estimates = Bootstrap.PercentileMany(byPatient.Count, draw => Values(Draw(byPatient, draw), sides), iterations, seed: seed);
        return Label(sides).Zip(estimates, (l, e) => (l.Metric, l.Side, e)).ToList();
    }

    /// <summary>
    /// Second minus first for each metric (mean over sides), both graders scored on the same resampled patients. The
    /// two must grade the same lungs against the same truth.
    /// </summary>
    public static IReadOnlyList<(string Metric, bool HigherIsBetter, double First, double Second, BootstrapEstimate Difference)> Paired(
        IReadOnlyList<GradedLung> first, IReadOnlyList<GradedLung> second, int iterations = 1000, int seed = 0)
    {
        var secondByLung = second.ToDictionary(l => (l.ImageId, l.Side));
        if (first.Count != second.Count || first.Any(l => !secondByLung.TryGetValue((l.ImageId, l.Side), out var other) || other.Truth != l.Truth))
            throw new ArgumentException("paired comparison needs both graders on the same lungs with the same reference grades");
        var pairs = first.Select(l => (First: l, Second: secondByLung[(l.ImageId, l.Side)])).ToList();
        var byPatient = pairs.GroupBy(p => p.First.PatientId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        var sides = Sides(first);
        int metrics = Metrics.Count;
        var estimates = Bootstrap.PercentileMany(byPatient.Count, draw =>
        {
            var drawn = Draw(byPatient, draw);
            var a = Values(drawn.Select(p => p.First).ToList(), sides);
            var b = Values(drawn.Select(p => p.Second).ToList(), sides);
            // The first values are the side means (see Label); the difference is taken of those, and each grader's own figure kept.
            return Enumerable.Range(0, metrics).Select(j => b[j] - a[j]).Concat(a.Take(metrics)).Concat(b.Take(metrics)).ToArray();
        }, iterations, seed: seed);
        return Metrics.Select((m, j) => (m.Name, m.HigherIsBetter, estimates[metrics + j].Estimate, estimates[2 * metrics + j].Estimate, estimates[j])).ToList();
    }

    static List<List<GradedLung>> ByPatient(IReadOnlyList<GradedLung> lungs) =>
        lungs.GroupBy(l => l.PatientId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToList()).ToList();

    static List<string> Sides(IReadOnlyList<GradedLung> lungs) => lungs.Select(l => l.Side).Distinct().Order(StringComparer.Ordinal).ToList();

    static List<T> Draw<T>(List<List<T>> byPatient, IReadOnlyList<int> draw) => draw.SelectMany(i => byPatient[i]).ToList();

    /// <summary>The order of <see cref="Values"/>: every metric's side mean, then every metric per side.</summary>
    static IEnumerable<(string Metric, string Side)> Label(IReadOnlyList<string> sides) =>
        Metrics.Select(m => (m.Name, "mean")).Concat(sides.SelectMany(s => Metrics.Select(m => (m.Name, s))));

    static double[] Values(IReadOnlyList<GradedLung> lungs, IReadOnlyList<string> sides)
    {
        var perSide = sides.Select(s =>
        {
            var mine = lungs.Where(l => l.Side == s).ToList();
            return mine.Count == 0 ? null : GradeMetrics.Compute(mine.Select(l => l.Truth).ToList(), mine.Select(l => l.Predicted).ToList());
        }).ToList();
        // A resample that misses a side entirely leaves its figures undefined (NaN): the bootstrap skips that resample.
        var means = Metrics.Select(m => perSide.Any(p => p is null) ? double.NaN : perSide.Average(p => m.Value(p!)));
        var each = perSide.SelectMany(p => Metrics.Select(m => p is null ? double.NaN : m.Value(p)));
        return means.Concat(each).ToArray();
    }
}
