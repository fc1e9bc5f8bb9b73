using Pleura.DicomWorkflows;
using Pleura.Phantoms;
using Xunit.Abstractions;

namespace Pleura.Tests.Cli;

/// <summary>The near-identical rule's threshold against phantoms: noisy copies above it, other exposures below it.</summary>
public class IngestNearIdenticalTests(ITestOutputHelper output)
{
    [Fact]
    public void TheThresholdSeparatesNoisyCopiesFromOtherImages()
    {
        const int size = DicomIngest.ThumbnailSide;
        var noise = new Random(1);
        var copies = new List<double>();
        var others = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            var image = PhantomDataset.RenderOne(4, i, size, i % 4, (i + 1) % 4).Image;
            // A filtered re-render: the same exposure with small noise and a slight gain.
            var copy = image.Select(v => Math.Clamp(v * 1.03f + (float)(noise.NextDouble() - 0.5) * 0.04f, 0f, 1f)).ToArray();
            copies.Add(DicomIngest.Correlation(image, copy));
            // Another phantom with other grades, and the same anatomy with other grades (a follow-up).
            others.Add(DicomIngest.Correlation(image, PhantomDataset.RenderOne(4, i + 100, size, (i + 2) % 4, i % 4).Image));
            others.Add(DicomIngest.Correlation(image, PhantomDataset.RenderOne(4, i, size, (i + 2) % 4, (i + 3) % 4).Image));
        }
        output.WriteLine($"noisy copies: {copies.Min():0.0000}..{copies.Max():0.0000}; other images: {others.Min():0.0000}..{others.Max():0.0000}");
        Assert.All(copies, r => Assert.True(r >= DicomIngest.DefaultNearIdentical, $"a noisy copy correlates {r:0.0000}"));
        Assert.All(others, r => Assert.True(r < DicomIngest.DefaultNearIdentical, $"another image correlates {r:0.0000}"));
        Assert.Equal(0, DicomIngest.Correlation(new float[4], [1, 2, 3, 4]));
    }
}
