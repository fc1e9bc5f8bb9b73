namespace Pleura.Evaluation;

public enum KappaWeighting { None, Linear, Quadratic }

/// <summary>Cohen's kappa with optional linear or quadratic disagreement weights (scikit-learn's cohen_kappa_score).</summary>
public static class CohenKappa
{
    /// <returns>Kappa, or NaN when the expected disagreement is zero (kappa is undefined).</returns>
    public static double Compute(ConfusionMatrix confusion, KappaWeighting weighting)
    {
        int k = confusion.ClassCount;
        double n = confusion.Total;
        double observed = 0, expected = 0;
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double w = weighting switch
                {
                    KappaWeighting.None => i == j ? 0 : 1,
                    KappaWeighting.Linear => Math.Abs(i - j),
                    _ => (i - j) * (i - j),
                };
                observed += w * confusion[i, j];
                expected += w * (double)confusion.TrueCount(i) * confusion.PredictedCount(j) / n;
            }
        }
        return expected == 0 ? double.NaN : 1 - observed / expected;
    }
}
