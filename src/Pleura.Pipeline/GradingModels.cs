using Pleura.Explainability;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Pipeline;

/// <summary>One side's model of a grading run, loaded.</summary>
public sealed record SideModel(Side Side, string CheckpointPath, nn.Module<Tensor, Tensor> Model, CheckpointInfo Info);

/// <summary>Both lungs' answers for one image: per side the grade and its probabilities, and the whole-image heatmap when asked.</summary>
public sealed record ImageGrades(IReadOnlyList<GradePrediction> Sides, float[]? Heatmap, int HeatmapSize);

/// <summary>
/// A grading run's left and right models, loaded once and kept (`pleura predict` loads them per call; `pleura serve`
/// per process). Scores whole images only: a run trained on a lung ROI needs lung masks, which the caller must supply
/// another way, so it is refused when loaded.
/// Not thread-safe (libtorch modules are used by one caller at a time): the server funnels requests through one batch worker.
/// </summary>
public sealed class GradingModels : IDisposable
{
    GradingModels(string runFolder, IReadOnlyList<SideModel> sides, bool bfloat16)
    {
        RunFolder = runFolder;
        Sides = sides;
        BFloat16 = bfloat16;
    }

    public string RunFolder { get; }
    public IReadOnlyList<SideModel> Sides { get; }
    public bool BFloat16 { get; }

    /// <summary>The input sizes the side models take (usually one): an image is read once per size.</summary>
    public IReadOnlyList<int> InputSizes => Sides.Select(s => s.Info.InputSize).Distinct().Order().ToList();

    public static GradingModels Load(string runFolder, bool bfloat16 = false)
    {
        var sides = new List<SideModel>();
        foreach (var side in Side.Both)
        {
            var path = GradingRun.CheckpointPath(runFolder, side);
            if (!File.Exists(path)) continue;
            var (model, info) = CheckpointEvaluation.LoadForInference(path, bfloat16);
            if (info.Roi != "none")
                throw new InvalidDataException($"{path} was trained on ROI '{info.Roi}', which needs lung masks: score it with `pleura evaluate` and a manifest with lung mask columns");
            sides.Add(new SideModel(side, path, model, info));
        }
        if (sides.Count == 0) throw new FileNotFoundException($"{runFolder}: no left/model.safetensors or right/model.safetensors");
        return new GradingModels(runFolder, sides, bfloat16);
    }

    /// <summary>
    /// Grades images already read at each of <see cref="InputSizes"/> (<paramref name="pixelsBySize"/>: per size, the
    /// images' grey pixels in [0, 1], all in the same order as <paramref name="ids"/>), one batch per side.
    /// </summary>
    public IReadOnlyList<GradePrediction> Grade(IReadOnlyList<string> ids, IReadOnlyDictionary<int, IReadOnlyList<float[]>> pixelsBySize)
    {
        var predictions = new List<GradePrediction>();
        if (ids.Count == 0) return predictions;
        foreach (var side in Sides)
        {
            int size = side.Info.InputSize;
            using var images = LabelledImages.FromPixels(pixelsBySize[size], size, ids.Select(_ => 0).ToList());
            var probabilities = TestTimeAugmentation.Probabilities(side.Model, images.Images, side.Info.InputChannels, side.Info.Recipe, side.Info.TestTimeAugmentations);
            predictions.AddRange(ids.Select((id, k) => new GradePrediction(id, side.Side.Name, null, side.Info.Decision.Decide(probabilities[k]), probabilities[k])));
        }
        return predictions;
    }

    /// <summary>
    /// Grades one image and explains it: each side's Grad-CAM (the checkpoint's default layer) and the whole-image
    /// heatmap (the sides' mean) at the first input size. Probabilities here come from the plain forward pass (no
    /// test-time augmentation), as the heatmap explains that pass.
    /// </summary>
    public ImageGrades Explain(string id, IReadOnlyDictionary<int, float[]> pixelsBySize)
    {
        int size = InputSizes[0];
        var explained = new List<SideExplanation>();
        var grades = new List<GradePrediction>();
        foreach (var side in Sides)
        {
            var pixels = pixelsBySize[side.Info.InputSize];
            var e = SideHeatmap.Explain(side.Side.Name, side.Model, GradCam.DefaultLayer(side.Info.Architecture), new[] { pixels }, side.Info.InputSize,
                side.Info.InputChannels, side.Info.Recipe)[0];
            grades.Add(new GradePrediction(id, side.Side.Name, null, side.Info.Decision.Decide(e.Probabilities), e.Probabilities));
            explained.Add(side.Info.InputSize == size ? e : e with { Heatmap = GradCam.Upsample(e.Heatmap, side.Info.InputSize, side.Info.InputSize, size, size) });
        }
        return new ImageGrades(grades, SideHeatmap.WholeImage(explained), size);
    }

    /// <summary>Reads image files at every input size the models take, with the files that could not be read.</summary>
    public (IReadOnlyList<int> Readable, IReadOnlyDictionary<int, IReadOnlyList<float[]>> PixelsBySize, IReadOnlyList<ImageFailure> Failures) Read(
        IReadOnlyList<string> files, ErrorPolicy policy)
    {
        var batches = InputSizes.ToDictionary(size => size, size => ImageBatch.Read(files, p => RadiographReader.ReadResized(p, size, size), policy));
        var readable = Enumerable.Range(0, files.Count).Where(i => batches.Values.All(b => b.Images[i] is not null)).ToList();
        var bySize = batches.ToDictionary(b => b.Key, b => (IReadOnlyList<float[]>)readable.Select(i => b.Value.Images[i]!.Pixels).ToList());
        return (readable, bySize, batches.Values.SelectMany(b => b.Failures).DistinctBy(f => f.Path).ToList());
    }

    public void Dispose()
    {
        foreach (var side in Sides) side.Model.Dispose();
    }
}
