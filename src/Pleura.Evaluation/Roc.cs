namespace Pleura.Evaluation;

/// <summary>One operating point of a ROC curve: predict positive when score >= <see cref="Threshold"/>.</summary>
public sealed record RocPoint(double Threshold, double FalsePositiveRate, double TruePositiveRate)
{
    public double YoudenJ => TruePositiveRate - FalsePositiveRate;
}

/// <summary>The operating point with the largest Youden index J = sensitivity + specificity - 1.</summary>
public sealed record YoudenCutoff(double Threshold, double J, double Sensitivity, double Specificity);

/// <summary>ROC analysis of scores against binary truth (1 = positive).</summary>
public static class Roc
{
    /// <summary>Area under the ROC curve, ties counted as one half (equals scikit-learn's roc_auc_score).</summary>
    /// <returns>NaN when the truth has only one class.</returns>
    public static double Auc(IReadOnlyList<int> truth, IReadOnlyList<double> scores)
    {
        Guard.SameLength(truth, scores);
        int n = truth.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[n];
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int m = i; m <= j; m++) ranks[order[m]] = rank;
            i = j + 1;
        }
        long positives = truth.Count(t => t == 1), negatives = n - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        double rankSum = 0;
        for (int i = 0; i < n; i++) if (truth[i] == 1) rankSum += ranks[i];
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>One-vs-rest AUC per class; a class absent from the truth (or the only class) gets NaN.</summary>
    public static double[] AucPerClass(IReadOnlyList<int> truth, IReadOnlyList<IReadOnlyList<double>> probabilities, int classCount)
    {
        var result = new double[classCount];
        for (int c = 0; c < classCount; c++)
        {
            var t = truth.Select(x => x == c ? 1 : 0).ToArray();
            var s = probabilities.Select(p => p[c]).ToArray();
            result[c] = Auc(t, s);
        }
        return result;
    }

    /// <summary>Macro average of the one-vs-rest AUCs over the classes for which AUC is defined.</summary>
    public static double AucOneVsRestMacro(IReadOnlyList<int> truth, IReadOnlyList<IReadOnlyList<double>> probabilities, int classCount)
    {
        var defined = AucPerClass(truth, probabilities, classCount).Where(a => !double.IsNaN(a)).ToArray();
        return defined.Length == 0 ? double.NaN : defined.Average();
    }

    /// <summary>The ROC curve at every distinct score, highest threshold first, starting at (0, 0).</summary>
    public static IReadOnlyList<RocPoint> Curve(IReadOnlyList<int> truth, IReadOnlyList<double> scores)
    {
        Guard.SameLength(truth, scores);
        int positives = truth.Count(t => t == 1), negatives = truth.Count - positives;
        var order = Enumerable.Range(0, truth.Count).OrderByDescending(i => scores[i]).ToArray();
        var points = new List<RocPoint> { new(double.PositiveInfinity, 0, 0) };
        int tp = 0, fp = 0;
        for (int i = 0; i < order.Length; i++)
        {
            if (truth[order[i]] == 1) tp++; else fp++;
            bool lastOfThreshold = i + 1 == order.Length || scores[order[i + 1]] != scores[order[i]];
            if (lastOfThreshold)
                points.Add(new RocPoint(scores[order[i]], negatives == 0 ? 0 : (double)fp / negatives, positives == 0 ? 0 : (double)tp / positives));
        }
        return points;
    }

    /// <summary>The cut-off with maximal Youden J; on ties, the highest threshold (as scikit-learn's argmax picks).</summary>
    public static YoudenCutoff Youden(IReadOnlyList<int> truth, IReadOnlyList<double> scores)
    {
        int positives = truth.Count(t => t == 1), negatives = truth.Count - positives;
        if (positives == 0 || negatives == 0) throw new ArgumentException("Youden's index needs both positive and negative cases");
        var order = Enumerable.Range(0, truth.Count).OrderByDescending(i => scores[i]).ToArray();
        // Compare J exactly as integers: J = tp/P - fp/N  <=>  tp*N - fp*P over P*N.
        long bestNumerator = 0;
        double bestThreshold = double.PositiveInfinity;
        int bestTp = 0, bestFp = 0, tp = 0, fp = 0;
        for (int i = 0; i < order.Length; i++)
        {
            if (truth[order[i]] == 1) tp++; else fp++;
            if (i + 1 < order.Length && scores[order[i + 1]] == scores[order[i]]) continue;
            long numerator = (long)tp * negatives - (long)fp * positives;
            if (numerator > bestNumerator)
            {
                bestNumerator = numerator;
                bestThreshold = scores[order[i]];
                bestTp = tp;
                bestFp = fp;
            }
        }
        double sensitivity = (double)bestTp / positives, specificity = 1 - (double)bestFp / negatives;
        return new YoudenCutoff(bestThreshold, sensitivity + specificity - 1, sensitivity, specificity);
    }
}
