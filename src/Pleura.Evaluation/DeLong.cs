using MathNet.Numerics.Distributions;

namespace Pleura.Evaluation;

/// <summary>An AUC with DeLong's standard error and the normal-theory 95% interval (clipped to [0, 1], as pROC does).</summary>
public sealed record AucEstimate(double Auc, double StandardError, Interval Interval, int Positives, int Negatives);

/// <summary>Two correlated AUCs on the same cases: B − A, its DeLong standard error, interval, z and two-sided p.</summary>
public sealed record AucDifference(double AucA, double AucB, double Difference, double StandardError, Interval Interval, double Z, double P);

/// <summary>
/// DeLong, DeLong and Clarke-Pearson (Biometrics 1988): the AUC is the mean of the placement values
/// V10(x_i) = P(score of positive i beats a negative) and V01(y_j) = P(a positive beats negative j), ties counted as one
/// half; its variance is var(V10)/m + var(V01)/n. The placement values come from mid-ranks (Sun and Xu 2014), so the
/// cost is O(N log N) and a test set of any size is cheap. The same structural components give the covariance of two
/// models' AUCs on the same cases, hence the paired test without resampling.
/// </summary>
public static class DeLong
{
    public static AucEstimate Estimate(IReadOnlyList<int> truth, IReadOnlyList<double> scores, double confidence = 0.95)
    {
        var (v10, v01) = Placements(truth, scores);
        double auc = v10.Average();
        double variance = Covariance(v10, v10) / v10.Length + Covariance(v01, v01) / v01.Length;
        double se = double.IsNaN(variance) ? double.NaN : Math.Sqrt(Math.Max(0, variance));
        double z = Normal.InvCDF(0, 1, 1 - (1 - confidence) / 2);
        return new AucEstimate(auc, se, new Interval(Math.Max(0, auc - z * se), Math.Min(1, auc + z * se)), v10.Length, v01.Length);
    }

    /// <summary>DeLong's test that two models scored on the same cases have equal AUCs (difference B − A).</summary>
    public static AucDifference Compare(IReadOnlyList<int> truth, IReadOnlyList<double> scoresA, IReadOnlyList<double> scoresB, double confidence = 0.95)
    {
        Guard.SameLength(scoresA, scoresB);
        var (a10, a01) = Placements(truth, scoresA);
        var (b10, b01) = Placements(truth, scoresB);
        double aucA = a10.Average(), aucB = b10.Average(), d = aucB - aucA;
        double variance = (Covariance(a10, a10) + Covariance(b10, b10) - 2 * Covariance(a10, b10)) / a10.Length
                          + (Covariance(a01, a01) + Covariance(b01, b01) - 2 * Covariance(a01, b01)) / a01.Length;
        double se = double.IsNaN(variance) ? double.NaN : Math.Sqrt(Math.Max(0, variance));
        double q = Normal.InvCDF(0, 1, 1 - (1 - confidence) / 2);
        // Identical scores (or a zero variance) leave nothing to test: z = 0, p = 1 rather than 0/0; an undefined
        // variance (one case on a side) leaves z and p undefined.
        double zValue = double.IsNaN(se) ? double.NaN : se > 0 ? d / se : 0;
        double p = double.IsNaN(se) ? double.NaN : se > 0 ? 2 * Normal.CDF(0, 1, -Math.Abs(zValue)) : 1;
        return new AucDifference(aucA, aucB, d, se, new Interval(d - q * se, d + q * se), zValue, p);
    }

    /// <summary>Placement values of the positives (V10) and negatives (V01) from mid-ranks among all, positives and negatives.</summary>
    static (double[] V10, double[] V01) Placements(IReadOnlyList<int> truth, IReadOnlyList<double> scores)
    {
        Guard.SameLength(truth, scores);
        var positives = new List<double>();
        var negatives = new List<double>();
        for (int i = 0; i < truth.Count; i++)
        {
            if (double.IsNaN(scores[i])) throw new ArgumentException($"score at position {i} is NaN");
            if (truth[i] == 1) positives.Add(scores[i]);
            else if (truth[i] == 0) negatives.Add(scores[i]);
            else throw new ArgumentException($"truth at position {i} is {truth[i]}, expected 0 or 1");
        }
        int m = positives.Count, n = negatives.Count;
        if (m == 0 || n == 0) throw new ArgumentException($"an AUC needs positive and negative cases (got {m} and {n})");
        // One case on a side leaves the variance undefined (a sample variance needs two values): it comes out NaN, and so
        // do the interval and the test, rather than failing a whole evaluation over one rare class.
        var all = positives.Concat(negatives).ToArray();
        var rankAll = MidRanks(all);
        var rankPositives = MidRanks(positives.ToArray());
        var rankNegatives = MidRanks(negatives.ToArray());
        var v10 = new double[m];
        var v01 = new double[n];
        for (int i = 0; i < m; i++) v10[i] = (rankAll[i] - rankPositives[i]) / n;
        for (int j = 0; j < n; j++) v01[j] = 1 - (rankAll[m + j] - rankNegatives[j]) / m;
        return (v10, v01);
    }

    static double[] MidRanks(double[] values) => RankCorrelation.Ranks(values);

    /// <summary>Sample covariance (n − 1 denominator), as DeLong's S10 and S01.</summary>
    static double Covariance(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (a[i] - ma) * (b[i] - mb);
        return sum / (a.Length - 1);
    }
}
