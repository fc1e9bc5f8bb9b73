namespace Pleura.Evaluation;

/// <summary>One named figure with its bootstrap interval (NaN bounds when not bootstrapped).</summary>
public sealed record MetricValue(string Name, double Value, double Low, double High);

/// <summary>
/// Scores grades (and optionally class probabilities) and lays every scalar metric out as a flat list, with
/// percentile bootstrap intervals: what tables, CSV files and reports show.
/// </summary>
public static class MetricTable
{
    public static IReadOnlyList<MetricValue> Score(IReadOnlyList<int> truth, IReadOnlyList<int> predicted,
        IReadOnlyList<IReadOnlyList<double>>? probabilities = null, int classCount = 4, int bootstrapIterations = 1000, int seed = 0)
    {
        var names = ScalarNames(classCount, probabilities is not null);
        double[] Scalars(IReadOnlyList<int> idx)
        {
            var t = idx.Select(i => truth[i]).ToArray();
            var p = idx.Select(i => predicted[i]).ToArray();
            var m = GradeMetrics.Compute(t, p, classCount);
            var values = new List<double>
            {
                m.MacroMae, m.Mae, m.Accuracy, m.Report.PrecisionWeighted, m.Report.RecallWeighted, m.Report.F1Weighted,
                m.LinearKappa, m.QuadraticKappa, m.R2,
            };
            for (int c = 0; c < classCount; c++) values.Add(m.MaePerClass.TryGetValue(c, out var v) ? v : double.NaN);
            for (int c = 0; c < classCount; c++) { values.Add(m.Report.Precision[c]); values.Add(m.Report.Recall[c]); values.Add(m.Report.F1[c]); }
            foreach (var s in m.BinarySplits) { values.Add(s.PrecisionWeighted); values.Add(s.RecallWeighted); values.Add(s.F1Weighted); }
            if (probabilities is not null)
            {
                var pr = idx.Select(i => probabilities[i]).ToArray();
                values.Add(Roc.AucOneVsRestMacro(t, pr, classCount));
                values.AddRange(Roc.AucPerClass(t, pr, classCount));
            }
            return values.ToArray();
        }

        if (bootstrapIterations <= 0)
            return names.Zip(Scalars(Enumerable.Range(0, truth.Count).ToArray()), (n, v) => new MetricValue(n, v, double.NaN, double.NaN)).ToList();
        var estimates = Bootstrap.PercentileMany(truth.Count, Scalars, bootstrapIterations, 0.95, seed);
        return names.Zip(estimates, (n, e) => new MetricValue(n, e.Estimate, e.Low, e.High)).ToList();
    }

    /// <summary>The names <see cref="Score"/> gives its values, for readers of its output (reports, comparisons).</summary>
    public const string MacroMae = "macro_mae", Mae = "mae", Accuracy = "accuracy", F1Weighted = "f1_weighted",
        QuadraticKappa = "quadratic_weighted_kappa", R2 = "r2", MacroAuc = "roc_auc_ovr_macro";

    /// <summary>The weighted F1 of a binary view of the grades (e.g. "clear_vs_any": grade >= 1).</summary>
    public static string BinaryF1(string split) => $"{split}_f1_weighted";

    static List<string> ScalarNames(int classCount, bool withProbabilities)
    {
        var names = new List<string>
        {
            MacroMae, Mae, Accuracy, "precision_weighted", "recall_weighted", F1Weighted,
            "linear_weighted_kappa", QuadraticKappa, R2,
        };
        for (int c = 0; c < classCount; c++) names.Add($"mae_class_{c}");
        for (int c = 0; c < classCount; c++) { names.Add($"precision_class_{c}"); names.Add($"recall_class_{c}"); names.Add($"f1_class_{c}"); }
        foreach (var (name, threshold) in GradeMetrics.StandardSplits.Where(s => s.Threshold < classCount))
        {
            names.Add($"{name}_precision_weighted");
            names.Add($"{name}_recall_weighted");
            names.Add($"{name}_f1_weighted");
        }
        if (withProbabilities)
        {
            names.Add(MacroAuc);
            for (int c = 0; c < classCount; c++) names.Add($"roc_auc_class_{c}");
        }
        return names;
    }
}
