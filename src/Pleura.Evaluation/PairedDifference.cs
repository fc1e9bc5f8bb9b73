using MathNet.Numerics.Distributions;

namespace Pleura.Evaluation;

/// <summary>
/// The difference between two methods measured on the same splits (b − a per pair): mean, standard deviation, a
/// Student-t interval for the mean, and how many pairs went each way. Pairing removes the split-to-split spread that
/// dominates small test sets, so it shows a difference that two unpaired means would hide.
/// </summary>
public sealed record PairedDifference(int Pairs, double Mean, double StandardDeviation, Interval Interval, int Positive, int Negative)
{
    public static PairedDifference Of(IReadOnlyList<double> a, IReadOnlyList<double> b, double confidence = 0.95)
    {
        Guard.SameLength(a, b);
        if (a.Count < 2) throw new ArgumentException($"need at least two pairs (got {a.Count})");
        if (confidence <= 0 || confidence >= 1) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "must lie in (0, 1)");
        var d = a.Zip(b, (x, y) => y - x).ToArray();
        double mean = d.Average();
        double sd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / (d.Length - 1));
        double half = StudentT.InvCDF(0, 1, d.Length - 1, 1 - (1 - confidence) / 2) * sd / Math.Sqrt(d.Length);
        return new PairedDifference(d.Length, mean, sd, new Interval(mean - half, mean + half), d.Count(x => x > 0), d.Count(x => x < 0));
    }

    /// <summary>The interval lies wholly on one side of zero.</summary>
    public bool Excludes0 => Interval.Low > 0 || Interval.High < 0;
}
