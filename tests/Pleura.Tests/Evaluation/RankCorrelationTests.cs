using Pleura.Evaluation;

namespace Pleura.Tests.Evaluation;

public class RankCorrelationTests
{
    [Fact]
    public void SpearmanIsPearsonOfAverageRanks()
    {
        // y's ranks with the tie shared: 2, 3, 4.5, 6, 4.5, 1; worked by hand: 0.5 / sqrt(17.5 * 17).
        Assert.Equal([2, 3, 4.5, 6, 4.5, 1], RankCorrelation.Ranks([5, 6, 7, 8, 7, 1]));
        Assert.Equal(0.5 / Math.Sqrt(17.5 * 17), RankCorrelation.Spearman([1, 2, 3, 4, 5, 6], [5, 6, 7, 8, 7, 1]), 12);
        // Any increasing function ranks alike; a decreasing one reverses.
        double[] x = [0.1, 3, 0.5, 9, 2];
        Assert.Equal(1, RankCorrelation.Spearman(x, x.Select(v => Math.Exp(v)).ToArray()), 12);
        Assert.Equal(-1, RankCorrelation.Spearman(x, x.Select(v => -v * v * v).ToArray()), 12);
        Assert.True(double.IsNaN(RankCorrelation.Spearman(x, [1, 1, 1, 1, 1])));
        Assert.Throws<ArgumentException>(() => RankCorrelation.Spearman(x, [1, 2]));
    }
}
