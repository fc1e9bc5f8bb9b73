using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Explainability;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Grading;

/// <summary>One side's model of a grading run, loaded.</summary>
public sealed record SideModel(Side Side, string CheckpointPath, nn.Module<Tensor, Tensor> Model, CheckpointInfo Info)
{
    public RoiScheme Roi { get; } = RoiSchemes.Parse(Info.Roi);
}

/// <summary>An image read at every size a run needs (its models' input sizes, twice that for ROI cuts, the lung U-Net's).</summary>
public sealed record DecodedImage(string Id, IReadOnlyDictionary<int, float[]> PixelsBySize);

/// <summary>
/// Both lungs' answers for one image: per side the grade and its probabilities; with an explanation, the whole-image
/// heatmap and the picture it explains (at <see cref="Size"/>²), the predicted lungs and the HCS against them.
/// <see cref="Failure"/> says why an image could not be graded (no lungs found for an ROI model), and then nothing else is set.
/// </summary>
public sealed record ImageGrades(string Id, IReadOnlyList<GradePrediction> Sides, string? Failure = null)
{
    public int Size { get; init; }
    public float[]? Heatmap { get; init; }
    public float[]? Picture { get; init; }
    public bool[]? Lungs { get; init; }
    public double? Hcs { get; init; }
    /// <summary>Why the predicted lungs look wrong (lateral? flipped?), when they do; the grades are still given.</summary>
    public string? LungWarning { get; init; }
}

/// <summary>
/// A grading run's left and right models, loaded once and kept (`pleura predict` loads them per call; `pleura serve`
/// per process), with the lung U-Net when the run was trained on a lung ROI: the U-Net finds the lungs of each new
/// image and the ROI is cut from them as in training. <see cref="Decode"/> only reads files and may run on any thread;
/// <see cref="Grade"/> runs the networks and is not thread-safe (the server funnels requests through one batch worker).
/// </summary>
public sealed class GradingModels : IDisposable
{
    readonly LungSegmenter? _lungs;

    GradingModels(string runFolder, IReadOnlyList<SideModel> sides, bool bfloat16, LungSegmenter? lungs, IReadOnlyList<string> unfinished)
    {
        RunFolder = runFolder;
        Unfinished = unfinished;
        Sides = sides;
        BFloat16 = bfloat16;
        _lungs = lungs;
    }

    public string RunFolder { get; }
    public IReadOnlyList<SideModel> Sides { get; }
    /// <summary>The sides whose training did not finish (loaded with allowIncomplete): no model, no grade; every answer names them.</summary>
    public IReadOnlyList<string> Unfinished { get; }
    public bool BFloat16 { get; }
    public string? LungModel => _lungs?.Path;

    /// <summary>The size heatmaps and pictures are drawn at: the first side's input size.</summary>
    public int PictureSize => Sides[0].Info.InputSize;

    /// <summary>Every size an image is read at: inputs, ROI working sizes (twice the input, as training cut them), the U-Net's.</summary>
    public IReadOnlyList<int> DecodeSizes =>
        Sides.Select(s => s.Roi == RoiScheme.None ? s.Info.InputSize : 2 * s.Info.InputSize).Append(PictureSize)
            .Concat(_lungs is null ? Array.Empty<int>() : new[] { _lungs.Size }).Distinct().Order().ToList();

    /// <param name="lungModel">The lung U-Net (`pleura segment train`, structures left_lung and right_lung); needed for a
    /// run trained on a lung ROI, optional otherwise (it then gives the lung outline and HCS of explanations).</param>
    /// <param name="allowIncomplete">Load a run whose training stopped midway, the finished sides only (<see cref="Unfinished"/>).</param>
    public static GradingModels Load(string runFolder, bool bfloat16 = false, string? lungModel = null, bool allowIncomplete = false)
    {
        var unfinished = RunRecord.RequireComplete(runFolder, allowIncomplete);
        var sides = new List<SideModel>();
        LungSegmenter? lungs = null;
        try
        {
            foreach (var side in Side.Both)
            {
                var path = GradingRun.CheckpointPath(runFolder, side);
                if (!File.Exists(path) || unfinished.Contains(side.Name)) continue;
                var (model, info) = Checkpoint.LoadForInference(path, bfloat16);
                sides.Add(new SideModel(side, path, model, info));
            }
            if (sides.Count == 0) throw new FileNotFoundException($"{runFolder}: no left/model.safetensors or right/model.safetensors");
            var roi = sides.FirstOrDefault(s => s.Roi != RoiScheme.None);
            if (roi is not null && lungModel is null)
                throw new InvalidDataException($"{roi.CheckpointPath} was trained on ROI '{roi.Info.Roi}', which needs the lungs of each image: give a lung U-Net " +
                                               "(--lungs MODEL, from `pleura segment train`), or score a manifest with lung mask columns with `pleura evaluate`");
            if (lungModel is not null) lungs = LungSegmenter.Load(lungModel);
            return new GradingModels(runFolder, sides, bfloat16, lungs, unfinished);
        }
        catch
        {
            foreach (var s in sides) s.Model.Dispose();
            lungs?.Dispose();
            throw;
        }
    }

    /// <summary>Reads an image at every size in <see cref="DecodeSizes"/> (thread-safe: files only, no network).</summary>
    public DecodedImage Decode(string path, string id) =>
        new(id, DecodeSizes.ToDictionary(size => size, size => RadiographReader.ReadResized(path, size, size).Pixels));

    /// <summary>
    /// Reads image files in parallel (<see cref="Decode"/>, ids = paths): the readable ones in input order and the
    /// failures, by <paramref name="policy"/>. Thread-safe: no network runs.
    /// </summary>
    public (IReadOnlyList<DecodedImage> Images, IReadOnlyList<ImageFailure> Failures) DecodeAll(IReadOnlyList<string> files, ErrorPolicy policy,
        CancellationToken cancel = default)
    {
        var (decoded, failures) = ImageBatch.ReadAll(files, f => Decode(f, f), policy, cancel: cancel);
        return (decoded.OfType<DecodedImage>().ToList(), failures);
    }

    /// <summary>
    /// Grades decoded images, one batch per network: the lung U-Net first (when loaded), then each side's model on its
    /// ROI of each image. With <paramref name="explain"/>, each image's Grad-CAM heatmaps too (one image at a time; the
    /// probabilities then come from the plain forward pass the heatmap explains, without test-time augmentation).
    /// </summary>
    public IReadOnlyList<ImageGrades> Grade(IReadOnlyList<DecodedImage> images, bool explain = false)
    {
        if (images.Count == 0) return Array.Empty<ImageGrades>();
        var lungs = _lungs is null ? null : _lungs.Masks(images.Select(i => i.PixelsBySize[_lungs.Size]).ToList());
        // Each side's input and the cut that made it; an image whose ROI cannot be cut fails with the reason.
        var failures = new Dictionary<int, string>();
        // A model pooled over both lungs sees the left lung's input mirrored (PooledSides); its heatmap is mirrored back by the cut.
        var inputs = Sides.ToDictionary(s => s, s => images.Select((image, k) =>
        {
            if (s.Roi == RoiScheme.None)
                return PooledSides.Seen(image.PixelsBySize[s.Info.InputSize], RoiCut.Whole(s.Info.InputSize, s.Info.InputSize), s.Info.InputSize, s.Side.Patient, s.Info.Pooled);
            int working = 2 * s.Info.InputSize;
            try
            {
                var cut = RoiCut.For(s.Roi, s.Side.Patient, lungs![k].Resized(working, working), working, working);
                return PooledSides.Seen(cut.Apply(image.PixelsBySize[working], s.Info.InputSize), cut, s.Info.InputSize, s.Side.Patient, s.Info.Pooled);
            }
            catch (RoiException e)
            {
                failures.TryAdd(k, $"no {s.Info.Roi} ROI for the {s.Side.Name} lung: {e.Message}");
                return (Pixels: Array.Empty<float>(), Cut: RoiCut.Whole(working, working));
            }
        }).ToList());
        var graded = Enumerable.Range(0, images.Count).Where(k => !failures.ContainsKey(k)).ToList();
        var results = new ImageGrades[images.Count];
        foreach (var (k, reason) in failures) results[k] = new ImageGrades(images[k].Id, Array.Empty<GradePrediction>(), reason);
        if (explain)
            foreach (int k in graded) results[k] = Explain(images[k], inputs.ToDictionary(p => p.Key, p => p.Value[k]), lungs?[k]);
        else
        {
            var bySide = Sides.ToDictionary(s => s, s => Probabilities(s, graded.Select(k => inputs[s][k].Pixels).ToList()));
            for (int j = 0; j < graded.Count; j++)
            {
                int k = graded[j];
                var sides = Sides.Select(s => new GradePrediction(images[k].Id, s.Side.Name, null, s.Info.Decision.Decide(bySide[s][j]), bySide[s][j])).ToList();
                results[k] = new ImageGrades(images[k].Id, sides) { LungWarning = lungs is null ? null : LungSegmenter.Check(lungs[k]) };
            }
        }
        return results;
    }

    static float[][] Probabilities(SideModel side, IReadOnlyList<float[]> pixels)
    {
        if (pixels.Count == 0) return Array.Empty<float[]>();
        using var set = LabelledImages.FromPixels(pixels, side.Info.InputSize, pixels.Select(_ => 0).ToList());
        return CheckpointScoring.Probabilities(side.Model, set.Images, side.Info);
    }

    ImageGrades Explain(DecodedImage image, IReadOnlyDictionary<SideModel, (float[] Pixels, RoiCut Cut)> inputs, LungMasks? lungs)
    {
        int size = PictureSize;
        var explained = new List<SideExplanation>();
        var grades = new List<GradePrediction>();
        foreach (var side in Sides)
        {
            var (pixels, cut) = inputs[side];
            var e = SideHeatmap.Explain(side.Side.Name, side.Model, GradCam.DefaultLayer(side.Info.Architecture), new[] { pixels }, side.Info.InputSize,
                side.Info.InputChannels, side.Info.Recipe)[0];
            grades.Add(new GradePrediction(image.Id, side.Side.Name, null, side.Info.Decision.Decide(e.Probabilities), e.Probabilities));
            // Back to the whole image (zero outside a crop), then to the picture's size.
            var whole = cut.MapBackAtInputSize(e.Heatmap, side.Info.InputSize);
            explained.Add(e with { Heatmap = side.Info.InputSize == size ? whole : GradCam.Upsample(whole, side.Info.InputSize, side.Info.InputSize, size, size) });
        }
        var heat = SideHeatmap.WholeImage(explained);
        var lungMask = lungs?.Resized(size, size).Union().Select(v => v > 0.5f).ToArray();
        return new ImageGrades(image.Id, grades)
        {
            Size = size, Heatmap = heat, Picture = image.PixelsBySize[size], Lungs = lungMask,
            Hcs = lungMask is null ? null : HeatmapConcordance.Weighted(heat, lungMask),
            LungWarning = lungs is null ? null : LungSegmenter.Check(lungs),
        };
    }

    public void Dispose()
    {
        foreach (var side in Sides) side.Model.Dispose();
        _lungs?.Dispose();
    }
}
