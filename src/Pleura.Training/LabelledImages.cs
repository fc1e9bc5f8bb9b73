using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>Images (N x 1 x S x S, intensities in [0, 1]) with one class label each; owns the tensor.</summary>
public sealed class LabelledImages : IDisposable
{
    public LabelledImages(Tensor images, IReadOnlyList<int> labels)
    {
        if (images.dim() != 4 || images.shape[1] != 1) throw new ArgumentException("images must be N x 1 x H x W");
        if (images.shape[0] != labels.Count) throw new ArgumentException($"{images.shape[0]} images but {labels.Count} labels");
        Images = images;
        Labels = labels;
    }

    public Tensor Images { get; }
    public IReadOnlyList<int> Labels { get; }
    public int Count => Labels.Count;

    /// <summary>
    /// What each image is (image id, ROI, side...): lets training reuse cached activations of identical images across
    /// runs. Null: the images are anonymous and nothing is shared.
    /// </summary>
    public IReadOnlyList<string>? Keys { get; init; }

    /// <summary>Builds the tensor from per-image pixel arrays of equal size.</summary>
    public static LabelledImages FromPixels(IReadOnlyList<float[]> pixels, int size, IReadOnlyList<int> labels, IReadOnlyList<string>? keys = null)
    {
        var all = new float[pixels.Count * size * size];
        for (int i = 0; i < pixels.Count; i++)
        {
            if (pixels[i].Length != size * size) throw new ArgumentException($"image {i} has {pixels[i].Length} pixels, expected {size * size}");
            Array.Copy(pixels[i], 0, all, (long)i * size * size, size * size);
        }
        return new LabelledImages(tensor(all, new long[] { pixels.Count, 1, size, size }), labels) { Keys = keys };
    }

    public void Dispose() => Images.Dispose();
}
