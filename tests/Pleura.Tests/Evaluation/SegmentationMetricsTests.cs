using Pleura.Evaluation;

namespace Pleura.Tests.Evaluation;

public class SegmentationMetricsTests
{
    static bool[] Rectangle(int width, int height, int x0, int y0, int w, int h)
    {
        var mask = new bool[width * height];
        for (int y = y0; y < y0 + h; y++)
            for (int x = x0; x < x0 + w; x++) mask[y * width + x] = true;
        return mask;
    }

    [Fact]
    public void IdenticalMasksScorePerfectly()
    {
        var a = Rectangle(32, 32, 4, 4, 10, 12);
        var s = SegmentationMetrics.Compute(a, a, 32, 32);
        Assert.Equal(new SegmentationScores(1, 1, 0, 0), s);
    }

    [Fact]
    public void ShiftedSquaresHaveKnownOverlapAndDistances()
    {
        var a = Rectangle(40, 40, 5, 5, 10, 10);
        var b = Rectangle(40, 40, 8, 5, 10, 10); // shifted three pixels right
        var s = SegmentationMetrics.Compute(a, b, 40, 40);
        Assert.Equal(2.0 * 70 / 200, s.Dice, 12);
        Assert.Equal(70.0 / 130, s.IoU, 12);
        // Left and right edges are 3 px from their counterparts; top and bottom edges overlap (distance 0) where they meet.
        Assert.InRange(s.Hausdorff95, 2.5, 3.0);
        Assert.InRange(s.AverageSurfaceDistance, 0.5, 3.0);
        var mirrored = SegmentationMetrics.Compute(b, a, 40, 40);
        Assert.Equal(s.Hausdorff95, mirrored.Hausdorff95, 12);
        Assert.Equal(s.AverageSurfaceDistance, mirrored.AverageSurfaceDistance, 12);
        Assert.Equal(2 * s.Hausdorff95, SegmentationMetrics.Compute(a, b, 40, 40, spacing: 2).Hausdorff95, 12);
    }

    [Fact]
    public void DistanceTransformIsExactForAFarPoint()
    {
        var a = Rectangle(64, 64, 0, 0, 1, 1);   // one pixel at the corner
        var b = Rectangle(64, 64, 30, 40, 1, 1); // one pixel at (30, 40): 50 px away
        var s = SegmentationMetrics.Compute(a, b, 64, 64);
        Assert.Equal(50, s.Hausdorff95, 9);
        Assert.Equal(50, s.AverageSurfaceDistance, 9);
    }

    [Fact]
    public void EmptyMasksAreHandledExplicitly()
    {
        var empty = new bool[16];
        Assert.Equal(new SegmentationScores(1, 1, 0, 0), SegmentationMetrics.Compute(empty, empty, 4, 4));
        var s = SegmentationMetrics.Compute(Rectangle(4, 4, 1, 1, 2, 2), empty, 4, 4);
        Assert.Equal(0, s.Dice);
        Assert.True(double.IsNaN(s.Hausdorff95));
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.Compute(empty, new bool[15], 4, 4));
    }
}
