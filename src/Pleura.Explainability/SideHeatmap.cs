using Pleura.Networks;
using static TorchSharp.torch;

namespace Pleura.Explainability;

/// <summary>One side model's explanation of one image: its class probabilities and its heatmap at input size.</summary>
public sealed record SideExplanation(string Side, float[] Probabilities, float[] Heatmap)
{
    public int Grade => Array.IndexOf(Probabilities, Probabilities.Max());
}

/// <summary>
/// Heatmaps as METHOD section 8 defines them: per side, the per-class Grad-CAM maps weighted by the model's class
/// probabilities, upsampled to the input and scaled to a maximum of 1; for the whole image, the mean of the sides'.
/// (With the `none` ROI every side model sees the whole image, so no mapping back is needed.)
/// </summary>
public static class SideHeatmap
{
    public static SideExplanation Explain(string side, nn.Module<Tensor, Tensor> model, string layer, float[] greyPixels, int size, int inputChannels)
    {
        using var scope = NewDisposeScope();
        var x = tensor(greyPixels, new long[] { 1, 1, size, size });
        if (inputChannels == 3) x = x.expand(-1, 3, -1, -1);
        var maps = GradCam.Compute(model, layer, x);
        var weighted = GradCam.ProbabilityWeighted(maps, 0);
        return new SideExplanation(side, maps.Probabilities(0), GradCam.Normalise(GradCam.Upsample(weighted, maps.Height, maps.Width, size, size)));
    }

    public static float[] WholeImage(IReadOnlyList<SideExplanation> sides)
    {
        var result = new float[sides[0].Heatmap.Length];
        foreach (var s in sides)
            for (int i = 0; i < result.Length; i++) result[i] += s.Heatmap[i] / sides.Count;
        return result;
    }
}
