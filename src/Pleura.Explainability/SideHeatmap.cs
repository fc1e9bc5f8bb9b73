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
    /// <summary>Explains a batch of grey images (each <paramref name="size"/>², in [0, 1]) with one forward pass.</summary>
    public static IReadOnlyList<SideExplanation> Explain(string side, nn.Module<Tensor, Tensor> model, string layer, IReadOnlyList<float[]> greyPixels, int size, int inputChannels,
        InputRecipe? recipe = null)
    {
        using var scope = NewDisposeScope();
        var all = new float[greyPixels.Count * size * size];
        for (int i = 0; i < greyPixels.Count; i++) Array.Copy(greyPixels[i], 0, all, (long)i * size * size, size * size);
        var x = tensor(all, new long[] { greyPixels.Count, 1, size, size });
        var maps = GradCam.Compute(model, layer, (recipe ?? InputRecipe.UnitGrey).Feed(x, inputChannels));
        return Enumerable.Range(0, greyPixels.Count).Select(n => new SideExplanation(side, maps.Probabilities(n),
            GradCam.Normalise(GradCam.Upsample(GradCam.ProbabilityWeighted(maps, n), maps.Height, maps.Width, size, size)))).ToList();
    }

    public static float[] WholeImage(IReadOnlyList<SideExplanation> sides)
    {
        var result = new float[sides[0].Heatmap.Length];
        foreach (var s in sides)
            for (int i = 0; i < result.Length; i++) result[i] += s.Heatmap[i] / sides.Count;
        return result;
    }
}
