using Pleura.Benchmarks;
using Pleura.Training;
using Pleura.Transfer;

namespace Pleura.Tests.Benchmarks;

/// <summary>What `pleura bench` computes besides timing: the transfer learning curve and the memory verdict.</summary>
public class BenchmarkFiguresTests
{
    static TransferRun Run(int repeat, int perClass, string start, int images, double auc) =>
        new(repeat, perClass, start, images, 10, 0.5, 0.5, auc, 0.7, 3, 1);

    [Fact]
    public void TheLearningCurveIsTheMeanAndSampleSdOverSplitsPerStartOrderedBySize()
    {
        var runs = new[]
        {
            Run(1, 0, "scratch", 40, 0.70), Run(2, 0, "scratch", 42, 0.80), Run(1, 5, "scratch", 10, 0.60), Run(2, 5, "scratch", 10, 0.60),
            Run(1, 0, "pretrained", 40, 0.90), Run(2, 0, "pretrained", 42, 0.94),
        };
        var series = LearningCurve.Series(runs);
        Assert.Equal(new[] { "scratch", "pretrained" }, series.Select(s => s.Label));
        var scratch = series[0];
        Assert.Equal(new[] { 10.0, 41.0 }, scratch.X);
        Assert.Equal(0.60, scratch.Y[0], 12);
        Assert.Equal(0.75, scratch.Y[1], 12);
        Assert.Equal(0.0, scratch.Error[0], 12);
        Assert.Equal(Math.Sqrt(2 * 0.05 * 0.05), scratch.Error[1], 12);
        Assert.Equal(Math.Sqrt(2 * 0.02 * 0.02), series[1].Error[0], 12);
    }

    static EpochRecord Epoch(int epoch, double megabytes) => new(2, epoch, 1e-3, 1, 1, 0, 0, 10, 10, 1, megabytes);

    [Fact]
    public void MemoryIsFlatWhenEpochTenIsWithinFivePercentOfEpochTwo()
    {
        var flat = MemoryVerdict.Of(Enumerable.Range(1, 12).Select(e => Epoch(e, e == 10 ? 1040 : 1000)).ToList());
        Assert.Equal(1000, flat.Baseline);
        Assert.Equal(0.04, flat.Epoch10Change!.Value, 12);
        Assert.True(flat.Flat);
        Assert.Equal(0.04, flat.Change(Epoch(10, 1040)), 12);
        Assert.False(MemoryVerdict.Of(Enumerable.Range(1, 10).Select(e => Epoch(e, 1000 + 10 * e)).ToList()).Flat);
        var brief = MemoryVerdict.Of(Enumerable.Range(1, 5).Select(e => Epoch(e, 1000)).ToList());
        Assert.Null(brief.Flat);
        Assert.Null(brief.Epoch10Change);
    }
}
