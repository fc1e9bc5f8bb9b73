using MathNet.Numerics.Distributions;

namespace Pleura.Evaluation;

/// <summary>
/// McNemar's exact test of two classifiers' accuracy on the same cases: only the discordant cases count (A right and B
/// wrong: <see cref="OnlyA"/>; the reverse: <see cref="OnlyB"/>); under equal accuracy each discordant case goes either
/// way with probability one half, so the two-sided p is twice the binomial tail of the smaller count (at most 1). Exact,
/// because a good pair of models on a small test set disagrees on a handful of images, where the chi-squared form is poor.
/// </summary>
public sealed record McNemarTest(int BothRight, int OnlyA, int OnlyB, int BothWrong, double P)
{
    public int Discordant => OnlyA + OnlyB;

    public static McNemarTest Exact(IReadOnlyList<bool> correctA, IReadOnlyList<bool> correctB)
    {
        Guard.SameLength(correctA, correctB);
        int both = 0, onlyA = 0, onlyB = 0, neither = 0;
        for (int i = 0; i < correctA.Count; i++)
        {
            if (correctA[i] && correctB[i]) both++;
            else if (correctA[i]) onlyA++;
            else if (correctB[i]) onlyB++;
            else neither++;
        }
        int n = onlyA + onlyB;
        double p = n == 0 ? 1 : Math.Min(1, 2 * Binomial.CDF(0.5, n, Math.Min(onlyA, onlyB)));
        return new McNemarTest(both, onlyA, onlyB, neither, p);
    }
}
