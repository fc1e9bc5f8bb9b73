namespace Pleura.Evaluation;

/// <summary>
/// Metrics for a binary classifier that outputs a score (e.g. P(frontal)): ROC AUC, the Youden cut-off, and at that
/// cut-off sensitivity, specificity and accuracy with its Clopper-Pearson 95% interval.
/// </summary>
public sealed record BinaryClassifierMetrics(
    int Count, double Auc, YoudenCutoff Cutoff, double Sensitivity, double Specificity, double Accuracy, Interval AccuracyInterval)
{
    public static BinaryClassifierMetrics Compute(IReadOnlyList<int> truth, IReadOnlyList<double> scores, double? threshold = null)
    {
        var youden = Roc.Youden(truth, scores);
        double cut = threshold ?? youden.Threshold;
        int tp = 0, tn = 0, fp = 0, fn = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            bool positive = scores[i] >= cut;
            if (truth[i] == 1) { if (positive) tp++; else fn++; }
            else { if (positive) fp++; else tn++; }
        }
        int correct = tp + tn;
        return new BinaryClassifierMetrics(truth.Count, Roc.Auc(truth, scores), youden,
            tp + fn == 0 ? double.NaN : (double)tp / (tp + fn),
            tn + fp == 0 ? double.NaN : (double)tn / (tn + fp),
            (double)correct / truth.Count,
            ClopperPearson.Compute(correct, truth.Count));
    }
}
