using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Pipeline;

/// <summary>What `pleura pretrain` trains on and how.</summary>
public sealed record PretrainJob
{
    /// <summary>A folder with one subfolder per class, or a CSV with <c>path</c> and <c>class</c> columns.</summary>
    public required string Source { get; init; }
    public required string Output { get; init; }
    /// <summary>Classes to use (default: all found).</summary>
    public IReadOnlyList<string>? Classes { get; init; }
    public double ValidationFraction { get; init; } = 0.15;
    public TrainingConfig Training { get; init; } = new() { Stage1Epochs = 0, Stage2Epochs = 30, UnfreezeConvLayers = -1, Stage2LearningRate = 1e-3 };
    public string? StartFrom { get; init; }
    public ErrorPolicy OnUnreadableImage { get; init; } = ErrorPolicy.Continue;
}

/// <summary>The pretrained backbone and how well it learned its source task.</summary>
public sealed record PretrainOutcome(string CheckpointPath, IReadOnlyList<string> Classes, int TrainImages, int ValidationImages,
    double ValidationAccuracy, TrainingResult Training, IReadOnlyList<ImageFailure> Failures);

/// <summary>
/// `pleura pretrain`: trains a whole network on a labelled CXR set (e.g. pneumonia type or view) and saves it as a
/// transfer-learning source for `pleura train --pretrained`. This is how Pleura gets CXR-pretrained weights where none
/// can be downloaded.
/// </summary>
public static class Pretraining
{
    static readonly string[] Extensions = { ".png", ".jpg", ".jpeg", ".tif", ".tiff" };

    public static List<(string Path, string Class)> ReadSource(string source)
    {
        if (Directory.Exists(source))
            return Directory.EnumerateDirectories(source).OrderBy(d => d, StringComparer.Ordinal)
                .SelectMany(d => Directory.EnumerateFiles(d).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                    .OrderBy(f => f, StringComparer.Ordinal).Select(f => (f, Path.GetFileName(d))))
                .ToList();
        var table = CsvTable.Read(source);
        table.RequireColumns("path", "class");
        var root = Path.GetDirectoryName(Path.GetFullPath(source))!;
        return table.Rows.Select(r => (Path.GetFullPath(Path.Combine(root, r["path"])), r["class"])).ToList();
    }

    public static PretrainOutcome Run(PretrainJob job, Action<string>? log = null, Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        log ??= _ => { };
        var items = ReadSource(job.Source);
        if (job.Classes is { Count: > 0 }) items = items.Where(i => job.Classes.Contains(i.Class)).ToList();
        var classes = job.Classes is { Count: > 0 } ? job.Classes.ToList() : items.Select(i => i.Class).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
        if (classes.Count < 2 || items.Count == 0) throw new InvalidDataException($"{job.Source}: need images of at least two classes (found {string.Join(", ", classes)})");

        int size = job.Training.ImageSize;
        log($"reading {items.Count} images of {classes.Count} classes ({string.Join(", ", classes)}) at {size}x{size}");
        var batch = ImageBatch.Read(items.Select(i => i.Path).ToList(), p => RadiographReader.ReadResized(p, size, size), job.OnUnreadableImage);
        var usable = items.Select((item, i) => (item, image: batch.Images[i])).Where(x => x.image is not null).ToList();

        // Stratified, seeded hold-out for early stopping and the reported accuracy.
        var random = new Random(job.Training.Seed);
        var validation = new HashSet<int>();
        foreach (var group in usable.Select((x, i) => (x, i)).GroupBy(x => x.x.item.Class))
        {
            var indexes = group.Select(g => g.i).OrderBy(_ => random.Next()).ToList();
            foreach (var i in indexes.Take((int)Math.Round(indexes.Count * job.ValidationFraction))) validation.Add(i);
        }
        LabelledImages Set(bool val)
        {
            var chosen = usable.Where((_, i) => validation.Contains(i) == val).ToList();
            return LabelledImages.FromPixels(chosen.Select(c => c.image!.Pixels).ToList(), size, chosen.Select(c => classes.IndexOf(c.item.Class)).ToList());
        }
        using var train = Set(false);
        using var val = Set(true);

        var config = job.Training;
        var architecture = Architectures.Get(config.Architecture);
        var model = SeededInit.Create(config.Seed, () => architecture.Create(classes.Count, config.InputChannels));
        if (job.StartFrom is not null)
        {
            var weights = Safetensors.Read(job.StartFrom);
            log($"started from {job.StartFrom}: {WeightLoader.Load(model, GreyInput.AdaptFirstConvolution(weights.Tensors, model), architecture.HeadPrefix, job.StartFrom)}");
        }
        var work = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(job.Output))!, Path.GetFileNameWithoutExtension(job.Output) + ".work");
        var trainer = new Trainer(model, architecture.HeadPrefix, config, work, classes.Count, architecture.Stage2Prefix);
        var result = trainer.Train(train, val, progress, cancel);
        var (_, predicted) = trainer.Evaluate(val);
        double accuracy = predicted.Zip(val.Labels).Count(p => p.First == p.Second) / (double)val.Count;
        Checkpoint.Save(job.Output, model, new CheckpointInfo
        {
            Architecture = config.Architecture,
            Classes = classes,
            InputSize = size,
            InputChannels = config.InputChannels,
            Training = JsonSerializer.SerializeToNode(config),
            Metrics = new JsonObject { ["validation_accuracy"] = accuracy, ["validation_images"] = val.Count, ["source"] = Path.GetFullPath(job.Source) },
            PretrainedFrom = job.StartFrom,
            StopReason = result.StopReason,
        });
        log($"validation accuracy {accuracy.ToString("P1", CultureInfo.InvariantCulture)} on {val.Count} images");
        return new PretrainOutcome(job.Output, classes, train.Count, val.Count, accuracy, result, batch.Failures);
    }
}
