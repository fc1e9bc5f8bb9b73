using MathNet.Numerics;

namespace Pleura.Evaluation;

/// <summary>A two-sided interval for a proportion.</summary>
public sealed record Interval(double Low, double High)
{
    public bool Contains(double value) => value >= Low && value <= High;
    public override string ToString() => $"[{Low:0.0000}, {High:0.0000}]";
}

/// <summary>Exact (Clopper-Pearson) confidence interval for a binomial proportion k/n.</summary>
public static class ClopperPearson
{
    public static Interval Compute(int successes, int trials, double confidence = 0.95)
    {
        if (trials <= 0) throw new ArgumentOutOfRangeException(nameof(trials), trials, "need at least one trial");
        if (successes < 0 || successes > trials) throw new ArgumentOutOfRangeException(nameof(successes), successes, $"must lie in 0..{trials}");
        if (confidence <= 0 || confidence >= 1) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "must lie in (0, 1)");
        double alpha = 1 - confidence;
        double low = successes == 0 ? 0 : BetaQuantile(alpha / 2, successes, trials - successes + 1);
        double high = successes == trials ? 1 : BetaQuantile(1 - alpha / 2, successes + 1, trials - successes);
        return new Interval(low, high);
    }

    /// <summary>Inverse of the regularised incomplete beta function by bisection, to full double precision.</summary>
    static double BetaQuantile(double p, double a, double b)
    {
        double lo = 0, hi = 1;
        for (int i = 0; i < 200 && hi - lo > 0; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid == lo || mid == hi) break;
            if (SpecialFunctions.BetaRegularized(a, b, mid) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
}
