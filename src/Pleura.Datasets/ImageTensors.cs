using Pleura.Imaging;
using Pleura.Training;

namespace Pleura.Datasets;

/// <summary>Image files read, resized and stacked into one N x 1 x S x S tensor, with the files that could not be read.</summary>
public sealed class ImageTensors : IDisposable
{
    ImageTensors(LabelledImages images, IReadOnlyList<int> readable, IReadOnlyList<ImageFailure> failures)
    {
        Images = images;
        Readable = readable;
        Failures = failures;
    }

    /// <summary>The readable images in input order (labels are placeholders).</summary>
    public LabelledImages Images { get; }
    /// <summary>Positions in the input list of the images that were read.</summary>
    public IReadOnlyList<int> Readable { get; }
    public IReadOnlyList<ImageFailure> Failures { get; }

    public static ImageTensors Read(IReadOnlyList<string> files, int size, ErrorPolicy policy)
    {
        var batch = ImageBatch.Read(files, p => RadiographReader.ReadResized(p, size, size), policy);
        var readable = Enumerable.Range(0, files.Count).Where(i => batch.Images[i] is not null).ToList();
        var images = LabelledImages.FromPixels(readable.Select(i => batch.Images[i]!.Pixels).ToList(), size, readable.Select(_ => 0).ToList());
        return new ImageTensors(images, readable, batch.Failures);
    }

    public void Dispose() => Images.Dispose();
}
