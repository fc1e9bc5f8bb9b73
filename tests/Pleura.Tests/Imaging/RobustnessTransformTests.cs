using Pleura.Imaging;

namespace Pleura.Tests.Imaging;

public class RobustnessTransformTests
{
    /// <summary>A non-square image with distinct pixel values, so any misplaced pixel shows.</summary>
    static GreyImage Ramp(int width = 7, int height = 5) =>
        new(width, height, Enumerable.Range(0, width * height).Select(i => (i + 1f) / (width * height + 1)).ToArray());

    static GreyImage Phantom() => new(96, 96, Pleura.Phantoms.PhantomDataset.RenderOne(seed: 5, index: 0, size: 96, leftGrade: 1, rightGrade: 2).Image);

    [Fact]
    public void RotatingNinetyDegreesFourTimesIsTheIdentityAndTwiceIsRotate180()
    {
        var image = Ramp();
        var once = RobustnessTransforms.Rotate90(image);
        Assert.Equal((5, 7), (once.Width, once.Height));
        // Clockwise: the input's bottom-left corner becomes the output's top-left.
        Assert.Equal(image[0, 4], once[0, 0]);
        Assert.Equal(image[0, 0], once[4, 0]);
        var four = RobustnessTransforms.Rotate90(RobustnessTransforms.Rotate90(RobustnessTransforms.Rotate90(once)));
        Assert.Equal(image.Pixels, four.Pixels);
        Assert.Equal((7, 5), (four.Width, four.Height));
        Assert.Equal(RobustnessTransforms.Rotate180(image).Pixels, RobustnessTransforms.Rotate90(once).Pixels);
    }

    [Fact]
    public void FlipsAreTheirOwnInverseAndTogetherRotateBy180()
    {
        var image = Ramp();
        var h = RobustnessTransforms.FlipHorizontal(image);
        Assert.Equal(image[0, 2], h[6, 2]);
        Assert.NotEqual(image.Pixels, h.Pixels);
        Assert.Equal(image.Pixels, RobustnessTransforms.FlipHorizontal(h).Pixels);
        var v = RobustnessTransforms.FlipVertical(image);
        Assert.Equal(image[3, 0], v[3, 4]);
        Assert.Equal(image.Pixels, RobustnessTransforms.FlipVertical(v).Pixels);
        Assert.Equal(RobustnessTransforms.Rotate180(image).Pixels, RobustnessTransforms.FlipVertical(h).Pixels);
    }

    [Fact]
    public void InvertingTwiceIsTheIdentityAndOnceMirrorsIntensity()
    {
        var image = Phantom();
        var once = RobustnessTransforms.Invert(image);
        Assert.Equal(1 - image.Mean(), once.Mean(), 5);
        var twice = RobustnessTransforms.Invert(once);
        // float: 1 - (1 - x) is x to within one rounding of numbers near 1 (2^-24).
        for (int i = 0; i < image.Pixels.Length; i++) Assert.True(Math.Abs(image.Pixels[i] - twice.Pixels[i]) <= 1e-7f, $"pixel {i}");
    }

    [Fact]
    public void BlankedHalfIsConstantAndTheOtherHalfIsUntouched()
    {
        var image = Ramp();
        var blanked = RobustnessTransforms.BlankHalf(image);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                Assert.Equal(x >= 3 ? 0f : image[x, y], blanked[x, y]);
        Assert.NotEqual(0f, image[3, 0]);
    }

    [Fact]
    public void CentreCropEnlargesTheMiddleToTheFullSize()
    {
        // A frame of 1s around a 0.5 centre: after cropping the central half no frame pixel is left.
        int n = 64;
        var pixels = new float[n * n];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                pixels[y * n + x] = x < 8 || y < 8 || x >= n - 8 || y >= n - 8 ? 1f : 0.5f;
        var cropped = RobustnessTransforms.CentreCrop(new GreyImage(n, n, pixels), 0.5);
        Assert.Equal((n, n), (cropped.Width, cropped.Height));
        Assert.All(cropped.Pixels, p => Assert.Equal(0.5f, p, 5));
        // A horizontal ramp stays a ramp, now spanning the middle half of the original values.
        var ramp = new GreyImage(n, n, Enumerable.Range(0, n * n).Select(i => (i % n) / (float)(n - 1)).ToArray());
        var r = RobustnessTransforms.CentreCrop(ramp, 0.5);
        Assert.InRange(r[0, 10], 0.2f, 0.3f);
        Assert.InRange(r[n - 1, 10], 0.7f, 0.8f);
    }

    [Fact]
    public void BurntTextBrightensPixelsInTheTopLeftOnly()
    {
        var image = new GreyImage(256, 256, Enumerable.Repeat(0.3f, 256 * 256).ToArray());
        var marked = RobustnessTransforms.BurnText(image, "R PORTABLE");
        int changed = 0;
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
            {
                float v = marked[x, y];
                Assert.True(v >= 0.3f - 1e-6f && v <= 1f, $"pixel ({x}, {y}) = {v}");
                if (v > 0.3f + 1e-6f)
                {
                    changed++;
                    Assert.True(y < 256 / 12 + 8, $"text pixel at row {y}, below the top band");
                }
            }
        Assert.True(changed > 100, $"only {changed} pixels carry text");
        Assert.Contains(marked.Pixels, p => p > 0.95f);
    }

    [Fact]
    public void EveryNamedTransformChangesAPhantomAndKeepsItsInput()
    {
        var image = Phantom();
        var before = (float[])image.Pixels.Clone();
        Assert.Equal(8, RobustnessTransforms.All.Select(t => t.Name).Distinct().Count());
        foreach (var t in RobustnessTransforms.All)
        {
            var result = t.Apply(image);
            Assert.True(result.Pixels.Length == image.Pixels.Length, t.Name);
            Assert.False(result.Pixels.SequenceEqual(image.Pixels), $"{t.Name} left the image as it was");
            Assert.All(result.Pixels, p => Assert.InRange(p, 0f, 1f));
        }
        Assert.Equal(before, image.Pixels);
    }
}
