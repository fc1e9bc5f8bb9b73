using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Segmentation;
using Pleura.Networks.Weights;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Pipeline;

/// <summary>A structure to segment and the folder holding its masks (0/255), named as the images or with the image's
/// base name and .png (e.g. x.jpg -> x.png, as in the COVID-19 collection's lung masks), or LabelMe files (x.json)
/// whose polygons carry the structure's name as their label.</summary>
public sealed record StructureMasks(string Name, string Folder)
{
    public string? MaskFor(string imageFileName)
    {
        var same = Path.Combine(Folder, imageFileName);
        if (File.Exists(same)) return same;
        var png = Path.Combine(Folder, Path.GetFileNameWithoutExtension(imageFileName) + ".png");
        if (File.Exists(png)) return png;
        var labelMe = Path.Combine(Folder, Path.GetFileNameWithoutExtension(imageFileName) + ".json");
        return File.Exists(labelMe) ? labelMe : null;
    }
}

/// <summary>One training or test image and its mask files, one per structure, in the structures' order.</summary>
public sealed record SegmentationExample(string Name, string Image, IReadOnlyList<string> Masks);

/// <summary>Scores of one structure on a set: per-image Dice, IoU, HD95 and ASD, with their bootstrap intervals.</summary>
public sealed record StructureScores(string Structure, int Images, BootstrapEstimate Dice, BootstrapEstimate IoU, BootstrapEstimate Hausdorff95, BootstrapEstimate AverageSurfaceDistance);

/// <summary>
/// `pleura segment`: trains a U-Net on image + mask folders (one image per patient, as in JSRT; a seeded hold-out is
/// the test set), scores it per structure, and predicts masks.
/// </summary>
public static class SegmentationJob
{
    /// <summary>Images of a folder that have a mask in every structure folder (or the listed ones), sorted by name.</summary>
    public static IReadOnlyList<SegmentationExample> FromFolders(string imagesFolder, IReadOnlyList<StructureMasks> structures, IReadOnlyList<string>? only = null)
    {
        var names = only?.ToList() ?? Directory.EnumerateFiles(imagesFolder).Select(f => Path.GetFileName(f))
            .Where(n => !n.StartsWith('.') && !n.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && structures.All(s => s.MaskFor(n) is not null)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (names.Count == 0) throw new InvalidDataException($"{imagesFolder}: no image that has a mask in every structure folder");
        return names.Select(n => new SegmentationExample(n, Path.Combine(imagesFolder, n), structures.Select(s => s.MaskFor(n) ?? Path.Combine(s.Folder, n)).ToList())).ToList();
    }

    /// <summary>A manifest's images that have a mask in every named column (mask images or LabelMe files), in manifest order.</summary>
    public static IReadOnlyList<SegmentationExample> FromManifest(Manifest manifest, IReadOnlyList<(string Structure, string Column)> columns)
    {
        foreach (var (_, column) in columns)
            if (!manifest.ExtraColumns.Contains(column)) throw new InvalidDataException($"the manifest has no column '{column}'");
        var examples = manifest.Rows.Where(r => columns.All(c => r.GetExtra(c.Column) != ""))
            .Select(r => new SegmentationExample(r.ImageId, manifest.ResolvePath(r), columns.Select(c => manifest.Resolve(r.GetExtra(c.Column))).ToList())).ToList();
        if (examples.Count == 0) throw new InvalidDataException($"no manifest row has a mask in every one of {string.Join(", ", columns.Select(c => c.Column))}");
        return examples;
    }

    public static (List<string> Files, Tensor Images, Tensor Masks, List<ImageFailure> Failures) Load(IReadOnlyList<SegmentationExample> examples, IReadOnlyList<string> structureNames, int size)
    {
        var names = examples.Select(e => e.Name).ToList();
        var images = ImageBatch.Read(examples.Select(e => e.Image).ToList(), p => RadiographReader.ReadResized(p, size, size), ErrorPolicy.Continue);
        var structures = structureNames;
        var masks = structureNames.Select((s, k) => ImageBatch.Read(examples.Select(e => e.Masks[k]).ToList(), p => MaskReader.ReadResized(p, s, size, size), ErrorPolicy.Continue)).ToList();
        var keep = Enumerable.Range(0, names.Count).Where(i => images.Images[i] is not null && masks.All(m => m.Images[i] is not null)).ToList();
        var pixels = new float[keep.Count * size * size];
        var maskValues = new float[keep.Count * structures.Count * size * size];
        for (int k = 0; k < keep.Count; k++)
        {
            Array.Copy(images.Images[keep[k]]!.Pixels, 0, pixels, (long)k * size * size, size * size);
            for (int s = 0; s < structures.Count; s++)
            {
                var m = masks[s].Images[keep[k]]!.Pixels;
                long offset = ((long)k * structures.Count + s) * size * size;
                for (int i = 0; i < m.Length; i++) maskValues[offset + i] = m[i] >= 0.5f ? 1 : 0;
            }
        }
        var failures = images.Failures.Concat(masks.SelectMany(m => m.Failures)).ToList();
        return (keep.Select(i => names[i]).ToList(), tensor(pixels, new long[] { keep.Count, 1, size, size }),
            tensor(maskValues, new long[] { keep.Count, structures.Count, size, size }), failures);
    }

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
    /// Trains on a seeded hold-out split: the test images are held out first, then a tenth of the rest validates
    /// (early stopping, best weights). The work folder OUTPUT.work/ makes a stopped run resumable.
    /// </summary>
    public static (IReadOnlyList<StructureScores> Test, IReadOnlyList<double> Losses) Train(IReadOnlyList<SegmentationExample> examples, IReadOnlyList<string> structures, string output,
        string architecture, int size, int epochs, int batchSize, double learningRate, double testFraction, int seed, Action<string>? log = null,
        int patience = 10, string? pretrained = null, CancellationToken cancel = default)
    {
        int multiple = SegmentationArchitectures.SizeMultiple(architecture);
        if (size % multiple != 0) throw new ArgumentException($"{architecture} needs an input size that is a multiple of {multiple}, not {size}");
        var (files, images, masks, failures) = Load(examples, structures, size);
        foreach (var f in failures) log?.Invoke($"unreadable, left out: {f.Path}: {f.Reason}");
        var random = new Random(seed);
        var order = Enumerable.Range(0, files.Count).OrderBy(_ => random.Next()).ToList();
        int testCount = (int)Math.Round(files.Count * testFraction);
        var testIndex = tensor(order.Take(testCount).Select(i => (long)i).ToArray());
        int validationCount = Math.Max(1, (files.Count - testCount) / 10);
        var validationIndex = tensor(order.Skip(testCount).Take(validationCount).Select(i => (long)i).ToArray());
        var trainIndex = tensor(order.Skip(testCount + validationCount).Select(i => (long)i).ToArray());
        log?.Invoke($"{files.Count - testCount - validationCount} training, {validationCount} validation and {testCount} test images at {size}x{size}; " +
                    $"structures: {string.Join(", ", structures)}");
        var model = SeededInit.Create(seed, () => SegmentationArchitectures.Create(architecture, 1, structures.Count));
        InputRecipe? recipe = null;
        if (pretrained is not null)
        {
            if (model is not ResNetUNet unet) throw new ArgumentException($"{architecture} has no ResNet encoder to start from {pretrained}; use a resnet*-unet");
            // The encoder is fed as its weights expect; the grey model's summed first convolution takes the recipe's means.
            log?.Invoke($"encoder started from {pretrained}: {PretrainedStart.Load(unet.Encoder, "fc.", pretrained)}");
            recipe = PretrainedStart.RecipeOf(pretrained) is { IsUnitGrey: false } r ? r : null;
        }
        var settings = new SegmentationSettings { Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate, Seed = seed, Patience = patience, Input = recipe };
        var result = new SegmentationTrainer(model, settings, output + ".work").Train(images.index_select(0, trainIndex), masks.index_select(0, trainIndex),
            images.index_select(0, validationIndex), masks.index_select(0, validationIndex),
            e => log?.Invoke($"epoch {e.Epoch}/{epochs}, training loss {e.TrainLoss:0.0000}, validation loss {e.ValidationLoss:0.0000}"), cancel);
        if (result.StopReason is { } reason) log?.Invoke(reason);
        var losses = result.History.Select(h => h.TrainLoss).ToList();
        var predicted = SegmentationTraining.Predict(model, images.index_select(0, testIndex), recipe: recipe);
        var scores = Score(predicted, masks.index_select(0, testIndex), structures, size);
        SegmentationCheckpoint.Save(output, model, architecture, structures, size, epochs, recipe, pretrained,
            order.Take(testCount).Select(i => files[i]).ToList(), scores.Select(s => (s.Structure, s.Dice.Estimate)).ToList());
        return (scores, losses);
    }
}
