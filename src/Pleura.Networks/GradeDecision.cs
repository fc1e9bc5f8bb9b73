namespace Pleura.Networks;

/// <summary>How a model's class probabilities become one ordinal grade.</summary>
public enum GradeDecision
{
    /// <summary>The most probable class (METHOD section 1).</summary>
    ArgMax,
    /// <summary>The expected grade sum_k p_k k, rounded: the ordinal reading, which avoids a far grade when the
    /// probability is spread over neighbours (lower absolute error when the classes are ordered).</summary>
    Expected,
}

public static class GradeDecisions
{
    public static int Decide(this GradeDecision decision, ReadOnlySpan<float> probabilities)
    {
        if (decision == GradeDecision.Expected)
        {
            double expected = 0;
            for (int k = 0; k < probabilities.Length; k++) expected += k * (double)probabilities[k];
            return (int)Math.Clamp(Math.Round(expected, MidpointRounding.AwayFromZero), 0, probabilities.Length - 1);
        }
        int best = 0;
        for (int k = 1; k < probabilities.Length; k++) if (probabilities[k] > probabilities[best]) best = k;
        return best;
    }
}
