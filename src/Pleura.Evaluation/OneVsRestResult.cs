namespace Pleura.Evaluation;

/// <summary>A proportion k/n with its exact (Clopper-Pearson) 95% interval.</summary>
public sealed record Proportion(int Successes, int Trials, double Value, Interval Interval)
{
    public static Proportion Of(int successes, int trials) =>
        trials == 0 ? new Proportion(0, 0, double.NaN, new Interval(double.NaN, double.NaN))
                    : new Proportion(successes, trials, (double)successes / trials, ClopperPearson.Compute(successes, trials));
}

/// <summary>
/// One class against the rest on the test part: its ROC curve and AUC (DeLong interval), and the Youden cut-off on
/// P(class) chosen on the validation part and applied unchanged to the test part, with sensitivity, specificity and
/// accuracy there. Choosing the cut-off on test would flatter the test figures; this is the method's protocol.
/// </summary>
public sealed record OneVsRestResult(
    string Class,
    IReadOnlyList<RocPoint> Curve,
    AucEstimate Auc,
    YoudenCutoff ValidationCutoff,
    int TruePositives, int FalseNegatives, int TrueNegatives, int FalsePositives,
    Proportion Sensitivity, Proportion Specificity, Proportion Accuracy)
{
    /// <summary>The test part's (false-positive rate, sensitivity) at the validation cut-off: the point a figure marks.</summary>
    public (double FalsePositiveRate, double TruePositiveRate) OperatingPoint => (1 - Specificity.Value, Sensitivity.Value);

    public static OneVsRestResult Compute(string name, int c, ScoredImages validation, ScoredImages test)
    {
        var cutoff = Roc.Youden(validation.IsClass(c), validation.Scores(c));
        var truth = test.IsClass(c);
        var scores = test.Scores(c);
        int tp = 0, fn = 0, tn = 0, fp = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            // The same rule as the curve: positive when the score reaches the threshold.
            bool positive = scores[i] >= cutoff.Threshold;
            if (truth[i] == 1) { if (positive) tp++; else fn++; }
            else { if (positive) fp++; else tn++; }
        }
        return new OneVsRestResult(name, Roc.Curve(truth, scores), DeLong.Estimate(truth, scores), cutoff, tp, fn, tn, fp,
            Proportion.Of(tp, tp + fn), Proportion.Of(tn, tn + fp), Proportion.Of(tp + tn, truth.Length));
    }
}
