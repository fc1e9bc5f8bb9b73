using Pleura.Phantoms;
using Pleura.Training;

namespace Pleura.Datasets;

/// <summary>Phantoms rendered straight into tensors (no files), labelled with the left lung's grade: for benchmarks and tests.</summary>
public static class PhantomTensors
{
    public static LabelledImages Left(int seed, int count, int size)
    {
        var random = new Random(seed);
        var pixels = new List<float[]>();
        var labels = new List<int>();
        for (int i = 0; i < count; i++)
        {
            var p = PhantomDataset.RenderOne(seed, i, size, random.Next(4), random.Next(4));
            pixels.Add(p.Image);
            labels.Add(p.LeftGrade);
        }
        return LabelledImages.FromPixels(pixels, size, labels);
    }
}
