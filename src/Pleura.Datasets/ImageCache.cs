using Pleura.Data;
using Pleura.Imaging;

namespace Pleura.Datasets;

/// <summary>
/// Decodes and resizes a manifest's images once, in parallel, to a model's input size. Unreadable images are
/// reported with path and reason (and stop the job only under <see cref="ErrorPolicy.Strict"/>).
/// </summary>
public sealed class ImageCache
{
    readonly Dictionary<string, float[]> _pixels;

    ImageCache(Dictionary<string, float[]> pixels, IReadOnlyList<ImageFailure> failures, int size)
    {
        _pixels = pixels;
        Failures = failures;
        Size = size;
    }

    public int Size { get; }
    public IReadOnlyList<ImageFailure> Failures { get; }
    public bool Contains(string imageId) => _pixels.ContainsKey(imageId);
    public float[] this[string imageId] => _pixels[imageId];

    public static ImageCache Load(Manifest manifest, IEnumerable<ManifestRow> rows, int size, ErrorPolicy policy, Action<int>? progress = null)
    {
        var list = rows.DistinctBy(r => r.ImageId).ToList();
        var batch = ImageBatch.Read(list.Select(manifest.ResolvePath).ToList(), p => RadiographReader.ReadResized(p, size, size), policy, onProgress: progress);
        var pixels = new Dictionary<string, float[]>();
        for (int i = 0; i < list.Count; i++)
            if (batch.Images[i] is { } image) pixels[list[i].ImageId] = image.Pixels;
        return new ImageCache(pixels, batch.Failures, size);
    }

    public void WriteFailures(string path)
    {
        CsvOutput.Write(path, ["path", "reason"], Failures.Select(f => new[] { f.Path, f.Reason }));
    }
}
