using Pleura.Classification;
using Pleura.Imaging;

namespace Pleura.Tests.Classification;

public class RobustnessEvaluationTests
{
    [Fact]
    public void AClassifierThatReadsOneSideFailsWhenTheImageIsMirrored()
    {
        // Class 1: the left half is brighter; class 0: the right half. The "classifier" compares the halves, so it is right
        // on every original, wrong on every mirrored or inverted image, and blind when the right half is blanked.
        var random = new Random(2);
        var truth = Enumerable.Range(0, 40).Select(i => i % 2).ToArray();
        var images = truth.Select(t => new GreyImage(32, 24, Enumerable.Range(0, 32 * 24)
            .Select(p => (float)(0.3 + 0.2 * random.NextDouble() + ((p % 32 < 16) == (t == 1) ? 0.3 : 0))).ToArray())).ToList();
        static int Classify(GreyImage image)
        {
            double left = 0, right = 0;
            for (int y = 0; y < image.Height; y++)
                for (int x = 0; x < image.Width; x++)
                    if (x < image.Width / 2) left += image[x, y]; else right += image[x, y];
            return left > right ? 1 : 0;
        }
        var rows = RobustnessEvaluation.Run(images, truth, Classify).ToDictionary(r => r.Transform);
        Assert.Equal(1 + RobustnessTransforms.All.Count, rows.Count);
        Assert.Equal(40, rows[RobustnessEvaluation.Original].Accuracy.Successes);
        Assert.Equal(1.0, rows[RobustnessEvaluation.Original].AgainstOriginal.P);
        foreach (var name in new[] { "flip-horizontal", "rotate180", "invert" })
        {
            Assert.Equal(0, rows[name].Accuracy.Successes);
            Assert.Equal((40, 0), (rows[name].AgainstOriginal.OnlyA, rows[name].AgainstOriginal.OnlyB));
            Assert.True(rows[name].AgainstOriginal.P < 1e-9, name);
        }
        // Flipping top to bottom keeps the sides: nothing changes.
        Assert.Equal(40, rows["flip-vertical"].Accuracy.Successes);
        // A black right half makes every image "left brighter": right on the 20 of class 1 only.
        Assert.Equal(20, rows["blank-half"].Accuracy.Successes);
        Assert.InRange(rows["blank-half"].Accuracy.Interval.Low, 0.3, 0.5);
    }

    [Fact]
    public void MismatchedInputIsRefused()
    {
        var image = new GreyImage(4, 4, new float[16]);
        Assert.Throws<ArgumentException>(() => RobustnessEvaluation.Run(new[] { image }, new[] { 0, 1 }, _ => 0));
        Assert.Throws<ArgumentException>(() => RobustnessEvaluation.Run(Array.Empty<GreyImage>(), Array.Empty<int>(), _ => 0));
    }
}
