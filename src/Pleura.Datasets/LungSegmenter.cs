using Pleura.Imaging.Roi;
using Pleura.Networks;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Datasets;

/// <summary>
/// The lung U-Net (`pleura segment train` with structures left_lung and right_lung), loaded once: grey images at its
/// input size to post-processed lung masks (per lung the largest region, holes filled), checked against anatomy.
/// Not thread-safe: one caller at a time.
/// </summary>
public sealed class LungSegmenter : IDisposable
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly int _left, _right;

    LungSegmenter(nn.Module<Tensor, Tensor> model, int size, InputRecipe recipe, int left, int right, string path)
    {
        _model = model;
        Size = size;
        Recipe = recipe;
        _left = left;
        _right = right;
        Path = path;
    }

    public int Size { get; }
    public InputRecipe Recipe { get; }
    public string Path { get; }

    public static LungSegmenter Load(string modelPath)
    {
        var (model, structures, size, recipe) = SegmentationCheckpoint.Load(modelPath);
        int Index(string name)
        {
            int i = structures.ToList().FindIndex(s => s.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (i >= 0) return i;
            model.Dispose();
            throw new ArgumentException($"{modelPath} segments {string.Join(", ", structures)}; lung masks need structures named left_lung and right_lung");
        }
        int left = Index("left_lung"), right = Index("right_lung");
        return new LungSegmenter(model, size, recipe, left, right, modelPath);
    }

    /// <summary>Cleaned masks per image (each <see cref="Size"/>², grey in [0, 1]).</summary>
    public IReadOnlyList<LungMasks> Masks(IReadOnlyList<float[]> pixels)
    {
        using var images = LabelledImages.FromPixels(pixels, Size, pixels.Select(_ => 0).ToList());
        var predicted = SegmentationTraining.Predict(_model, images.Images, recipe: Recipe);
        return predicted.Select(p => new LungMasks(Size, Size, p[_left], p[_right]).Cleaned()).ToList();
    }

    /// <summary>Anatomy: both lungs present, the patient's left lung on the image's right; the reason when not.</summary>
    public static string? Check(LungMasks masks)
    {
        double Share(bool[] m) => m.Count(v => v) / (double)m.Length;
        double CentreX(bool[] m) => m.Select((v, i) => (v, i)).Where(x => x.v).Average(x => x.i % masks.Width);
        if (Share(masks.Left) < RoiCut.MinLungShare || Share(masks.Right) < RoiCut.MinLungShare) return "a lung is missing or tiny (lateral view?)";
        if (CentreX(masks.Left) < CentreX(masks.Right)) return "the left lung lies on the image's left (flipped image?)";
        return null;
    }

    public void Dispose() => _model.Dispose();
}
