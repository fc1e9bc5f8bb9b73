namespace Pleura.Evaluation;

/// <summary>Weighted precision/recall/F1 after cutting the grades into two groups at <see cref="ThresholdGrade"/>
/// (positive = grade at least the threshold).</summary>
public sealed record BinarySplitMetrics(string Name, int ThresholdGrade, double PrecisionWeighted, double RecallWeighted, double F1Weighted);

/// <summary>
/// Every metric METHOD section 7 asks of an ordinal grade (0..K-1) against a reference: macro-averaged MAE (mean of
/// the per-class MAE over the classes present in the truth), MAE, accuracy, confusion matrix, per-class and
/// support-weighted precision/recall/F1, R², linear and quadratic weighted kappa and the binary splits.
/// </summary>
public sealed record GradeMetrics(
    int Count,
    double MacroMae,
    IReadOnlyDictionary<int, double> MaePerClass,
    double Mae,
    double Accuracy,
    ConfusionMatrix Confusion,
    ClassificationReport Report,
    double R2,
    double LinearKappa,
    double QuadraticKappa,
    IReadOnlyList<BinarySplitMetrics> BinarySplits)
{
    /// <summary>The splits of METHOD section 7: any opacity (>= 1), moderate or worse (>= 2), severe (>= 3).</summary>
    public static readonly IReadOnlyList<(string Name, int Threshold)> StandardSplits =
        new[] { ("clear_vs_any", 1), ("0-1_vs_2-3", 2), ("0-2_vs_3", 3) };

    public static GradeMetrics Compute(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classCount = 4)
    {
        Guard.SameLength(truth, predicted);
        if (truth.Count == 0) throw new ArgumentException("no cases to score");
        var confusion = new ConfusionMatrix(truth, predicted, classCount);

        var maePerClass = new SortedDictionary<int, double>();
        for (int c = 0; c < classCount; c++)
        {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < truth.Count; i++)
            {
                if (truth[i] != c) continue;
                sum += Math.Abs(predicted[i] - c);
                n++;
            }
            if (n > 0) maePerClass[c] = sum / n;
        }

        var splits = StandardSplits
            .Where(s => s.Threshold < classCount)
            .Select(s => Split(truth, predicted, s.Name, s.Threshold))
            .ToList();

        return new GradeMetrics(
            truth.Count,
            maePerClass.Values.Average(),
            maePerClass,
            MeanAbsoluteError(truth, predicted),
            (double)Enumerable.Range(0, classCount).Sum(c => confusion[c, c]) / truth.Count,
            confusion,
            ClassificationReport.FromConfusion(confusion),
            RSquared(truth, predicted),
            CohenKappa.Compute(confusion, KappaWeighting.Linear),
            CohenKappa.Compute(confusion, KappaWeighting.Quadratic),
            splits);
    }

    public static double MeanAbsoluteError(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        double sum = 0;
        for (int i = 0; i < truth.Count; i++) sum += Math.Abs(truth[i] - predicted[i]);
        return sum / truth.Count;
    }

    /// <summary>Coefficient of determination of the predictions (scikit-learn's r2_score, force_finite).</summary>
    public static double RSquared(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        double mean = truth.Average();
        double residual = 0, total = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            residual += Math.Pow(truth[i] - predicted[i], 2);
            total += Math.Pow(truth[i] - mean, 2);
        }
        if (total == 0) return residual == 0 ? 1.0 : 0.0;
        return 1 - residual / total;
    }

    static BinarySplitMetrics Split(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, string name, int threshold)
    {
        var t = truth.Select(g => g >= threshold ? 1 : 0).ToArray();
        var p = predicted.Select(g => g >= threshold ? 1 : 0).ToArray();
        var report = ClassificationReport.FromConfusion(new ConfusionMatrix(t, p, 2));
        return new BinarySplitMetrics(name, threshold, report.PrecisionWeighted, report.RecallWeighted, report.F1Weighted);
    }
}
