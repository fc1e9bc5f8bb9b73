using Pleura.Imaging;
using Pleura.Imaging.Roi;

namespace Pleura.Datasets;

/// <summary>One classifier input: the pixels the model sees (input size²), the cut that made them from the image as read, and
/// why the lungs could not be cut when the whole image was given instead.</summary>
public sealed record ClassifierInput(float[] Pixels, RoiCut Cut, string? RoiFailure);

/// <summary>
/// What an image-level classifier sees of a radiograph, so that whole image against segmented lungs is one flag (METHOD
/// section 1, issue 15): the whole image at the input size, or (<see cref="RoiScheme.Lung"/>) both lungs as the lung
/// U-Net finds them, everything else zeroed and the box around them cropped and resized. Images are read at twice the
/// input size for a cut, as the grading ROIs are, so a crop keeps its detail. An image whose lungs are not found (a
/// lateral view, a lung missed) is given whole and reported, so a run on segmented lungs keeps the same test images as
/// the whole-image run it is compared with. Train, evaluate, predict, explain and the robustness set all build their
/// inputs here. Not thread-safe (the U-Net is loaded once).
/// </summary>
public sealed class ClassifierInputs : IDisposable
{
    const int SegmentationChunk = 64;
    readonly LungSegmenter? _lungs;

    ClassifierInputs(RoiScheme roi, int inputSize, LungSegmenter? lungs)
    {
        Roi = roi;
        InputSize = inputSize;
        _lungs = lungs;
    }

    public RoiScheme Roi { get; }
    public int InputSize { get; }
    /// <summary>The size images are read at before <see cref="Make"/>.</summary>
    public int ReadSize => Roi == RoiScheme.None ? InputSize : 2 * InputSize;
    /// <summary>The lung U-Net's file, for a lung ROI.</summary>
    public string? LungModel => _lungs?.Path;

    public static ClassifierInputs WholeImage(int inputSize) => new(RoiScheme.None, inputSize, null);

    /// <param name="lungModel">The lung U-Net (`pleura segment train` with left_lung and right_lung); needed for a lung ROI.</param>
    public static ClassifierInputs Create(RoiScheme roi, int inputSize, string? lungModel)
    {
        if (roi == RoiScheme.Spine)
            throw new ArgumentException("ROI 'spine' keeps one side of the chest for that lung's grade; an image-level classifier takes 'none' (whole image) or 'lung' (both lungs)");
        if (roi == RoiScheme.None) return WholeImage(inputSize);
        if (lungModel is null)
            throw new ArgumentException("ROI 'lung' needs the lung U-Net that finds each image's lungs: give --lungs LUNGS.safetensors (made by `pleura segment train`)");
        if (!File.Exists(lungModel)) throw new FileNotFoundException($"{lungModel}: no such lung U-Net file", lungModel);
        return new ClassifierInputs(roi, inputSize, LungSegmenter.Load(lungModel));
    }

    /// <summary>Model inputs for images read at <see cref="ReadSize"/>² (grey, [0, 1]), in order.</summary>
    public IReadOnlyList<ClassifierInput> Make(IReadOnlyList<float[]> images)
    {
        if (images.Any(p => p.Length != ReadSize * ReadSize)) throw new ArgumentException($"images must be read at {ReadSize}x{ReadSize}");
        if (_lungs is null) return images.Select(p => new ClassifierInput(p, RoiCut.Whole(InputSize, InputSize), null)).ToList();
        var inputs = new List<ClassifierInput>(images.Count);
        foreach (var chunk in images.Chunk(SegmentationChunk))
        {
            var masks = _lungs.Masks(chunk.Select(p => Bilinear.Resize(p, ReadSize, ReadSize, _lungs.Size, _lungs.Size)).ToList());
            inputs.AddRange(chunk.Zip(masks, (pixels, m) =>
            {
                try
                {
                    var cut = RoiCut.BothLungs(m.Resized(ReadSize, ReadSize));
                    return new ClassifierInput(cut.Apply(pixels, InputSize), cut, null);
                }
                catch (RoiException e)
                {
                    return new ClassifierInput(Bilinear.Resize(pixels, ReadSize, ReadSize, InputSize, InputSize), RoiCut.Whole(ReadSize, ReadSize),
                        $"no lungs found ({e.Message}); the model sees the whole image");
                }
            }));
        }
        return inputs;
    }

    /// <summary>Reads one image file and makes its input.</summary>
    public ClassifierInput Read(string path) => Make(new[] { RadiographReader.ReadResized(path, ReadSize, ReadSize).Pixels })[0];

    public void Dispose() => _lungs?.Dispose();
}
