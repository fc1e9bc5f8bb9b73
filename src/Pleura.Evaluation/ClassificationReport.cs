namespace Pleura.Evaluation;

/// <summary>Per-class precision, recall and F1 with support, and their support-weighted averages (scikit-learn's
/// <c>precision_recall_fscore_support</c> with <c>zero_division=0</c>).</summary>
public sealed record ClassificationReport(
    IReadOnlyList<double> Precision,
    IReadOnlyList<double> Recall,
    IReadOnlyList<double> F1,
    IReadOnlyList<int> Support,
    double PrecisionWeighted,
    double RecallWeighted,
    double F1Weighted)
{
    /// <summary>Builds the report from a confusion matrix whose rows are truths and columns predictions.</summary>
    public static ClassificationReport FromConfusion(ConfusionMatrix confusion)
    {
        int k = confusion.ClassCount;
        var precision = new double[k];
        var recall = new double[k];
        var f1 = new double[k];
        var support = new int[k];
        for (int c = 0; c < k; c++)
        {
            int tp = confusion[c, c];
            int predicted = confusion.PredictedCount(c);
            support[c] = confusion.TrueCount(c);
            precision[c] = predicted == 0 ? 0 : (double)tp / predicted;
            recall[c] = support[c] == 0 ? 0 : (double)tp / support[c];
            f1[c] = precision[c] + recall[c] == 0 ? 0 : 2 * precision[c] * recall[c] / (precision[c] + recall[c]);
        }
        return new ClassificationReport(precision, recall, f1, support,
            Weighted(precision, support), Weighted(recall, support), Weighted(f1, support));
    }

    static double Weighted(double[] values, int[] weights)
    {
        double total = weights.Sum();
        if (total == 0) return 0;
        double sum = 0;
        for (int i = 0; i < values.Length; i++) sum += values[i] * weights[i];
        return sum / total;
    }
}
