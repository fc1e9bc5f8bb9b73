using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Networks;
using Pleura.Networks.Segmentation;
using Pleura.Networks.Weights;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Segmentation;

/// <summary>Scores of one structure on a set: per-image Dice, IoU, HD95 and ASD, with their bootstrap intervals.</summary>
public sealed record StructureScores(string Structure, int Images, BootstrapEstimate Dice, BootstrapEstimate IoU, BootstrapEstimate Hausdorff95, BootstrapEstimate AverageSurfaceDistance);

/// <summary>
/// `pleura segment`: trains a U-Net on image + mask folders (one image per patient, as in JSRT) or a manifest's images
/// (parts by patient), with a seeded hold-out as the test set, scores it per structure, and predicts masks.
/// </summary>
public static class SegmentationJob
{
    public static IReadOnlyList<StructureScores> Score(bool[][][] predicted, Tensor truth, IReadOnlyList<string> structures, int size, int bootstrap = 1000, int seed = 0)
    {
        using var t = truth.to_type(ScalarType.Bool).contiguous();
        var values = t.data<bool>().ToArray();
        var result = new List<StructureScores>();
        for (int s = 0; s < structures.Count; s++)
        {
            var scores = Enumerable.Range(0, predicted.Length).Select(i =>
                SegmentationMetrics.Compute(predicted[i][s], values.AsSpan((i * structures.Count + s) * size * size, size * size), size, size)).ToArray();
            var estimates = Bootstrap.PercentileMany(scores.Length, idx => new[]
            {
                idx.Average(i => scores[i].Dice), idx.Average(i => scores[i].IoU),
                Mean(idx.Select(i => scores[i].Hausdorff95)), Mean(idx.Select(i => scores[i].AverageSurfaceDistance)),
            }, bootstrap, 0.95, seed);
            result.Add(new StructureScores(structures[s], scores.Length, estimates[0], estimates[1], estimates[2], estimates[3]));
        }
        return result;
    }

    static double Mean(IEnumerable<double> values)
    {
        var defined = values.Where(v => !double.IsNaN(v)).ToList();
        return defined.Count == 0 ? double.NaN : defined.Average();
    }

    /// <summary>
    /// Seeded test / validation / training parts (image indices) that keep each patient's images in one part: patients in
    /// a seeded order, the first ones to the test part until it holds its share of the images, the next ones to the
    /// validation part until it holds a tenth of the rest. With one image per patient this is a seeded image hold-out.
    /// </summary>
    public static (List<int> Test, List<int> Validation, List<int> Training) HoldOut(IReadOnlyList<string> patientOfImage, double testFraction, int seed)
    {
        var random = new Random(seed);
        var groups = Enumerable.Range(0, patientOfImage.Count).GroupBy(i => patientOfImage[i]).Select(g => g.ToList()).ToList()
            .OrderBy(_ => random.Next()).ToList();
        int testCount = (int)Math.Round(patientOfImage.Count * testFraction);
        int validationCount = Math.Max(1, (patientOfImage.Count - testCount) / 10);
        List<int> test = new(), validation = new(), training = new();
        foreach (var group in groups)
            (test.Count < testCount ? test : validation.Count < validationCount ? validation : training).AddRange(group);
        return (test, validation, training);
    }

    /// <summary>
    /// A fresh U-Net from the seed, its ResNet encoder started from <paramref name="pretrained"/> when given, and the
    /// input recipe those weights expect (null: grey in [0, 1]).
    /// </summary>
    public static (nn.Module<Tensor, Tensor> Model, InputRecipe? Recipe) NewModel(string architecture, int structures, int seed, string? pretrained, Action<string>? log)
    {
        var model = SeededInit.Create(seed, () => SegmentationArchitectures.Create(architecture, 1, structures));
        if (pretrained is null) return (model, null);
        if (model is not ResNetUNet unet) throw new ArgumentException($"{architecture} has no ResNet encoder to start from {pretrained}; use a resnet*-unet");
        // The encoder is fed as its weights expect; the grey model's summed first convolution takes the recipe's means.
        log?.Invoke($"encoder started from {pretrained}: {PretrainedStart.Load(unet.Encoder, "fc.", pretrained)}");
        return (model, PretrainedStart.RecipeOf(pretrained) is { IsUnitGrey: false } r ? r : null);
    }

    /// <summary>
    /// Trains on a seeded hold-out split: the test images are held out first, then a tenth of the rest validates
    /// (early stopping, best weights). The work folder OUTPUT.work/ makes a stopped run resumable.
    /// </summary>
    public static (IReadOnlyList<StructureScores> Test, IReadOnlyList<double> Losses) Train(IReadOnlyList<SegmentationExample> examples, IReadOnlyList<string> structures, string output,
        string architecture, int size, int epochs, int batchSize, double learningRate, double testFraction, int seed, Action<string>? log = null,
        int patience = 10, string? pretrained = null, CancellationToken cancel = default)
    {
        int multiple = SegmentationArchitectures.SizeMultiple(architecture);
        if (size % multiple != 0) throw new ArgumentException($"{architecture} needs an input size that is a multiple of {multiple}, not {size}");
        var (files, images, masks, failures) = SegmentationExamples.Load(examples, structures, size);
        foreach (var f in failures) log?.Invoke($"unreadable, left out: {f.Path}: {f.Reason}");
        var patients = examples.ToDictionary(e => e.Name, e => e.Patient ?? e.Name);
        var (testPart, validationPart, trainPart) = HoldOut(files.Select(f => patients[f]).ToList(), testFraction, seed);
        var testIndex = tensor(testPart.Select(i => (long)i).ToArray());
        var validationIndex = tensor(validationPart.Select(i => (long)i).ToArray());
        var trainIndex = tensor(trainPart.Select(i => (long)i).ToArray());
        log?.Invoke($"{trainPart.Count} training, {validationPart.Count} validation and {testPart.Count} test images at {size}x{size}" +
                    $"{(examples.Any(e => e.Patient is not null) ? " (parts by patient)" : "")}; structures: {string.Join(", ", structures)}");
        var (model, recipe) = NewModel(architecture, structures.Count, seed, pretrained, log);
        var settings = new SegmentationSettings { Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate, Seed = seed, Patience = patience, Input = recipe };
        var result = new SegmentationTrainer(model, settings, output + ".work").Train(images.index_select(0, trainIndex), masks.index_select(0, trainIndex),
            images.index_select(0, validationIndex), masks.index_select(0, validationIndex),
            e => log?.Invoke($"epoch {e.Epoch}/{epochs}, training loss {e.TrainLoss:0.0000}, validation loss {e.ValidationLoss:0.0000}"), cancel);
        if (result.StopReason is { } reason) log?.Invoke(reason);
        var losses = result.History.Select(h => h.TrainLoss).ToList();
        var predicted = SegmentationTraining.Predict(model, images.index_select(0, testIndex), recipe: recipe);
        var scores = Score(predicted, masks.index_select(0, testIndex), structures, size);
        SegmentationCheckpoint.Save(output, model, architecture, structures, size, epochs, recipe, pretrained,
            testPart.Select(i => files[i]).ToList(), scores.Select(s => (s.Structure, s.Dice.Estimate)).ToList());
        return (scores, losses);
    }
}
