using System.Globalization;
using System.Text.Json.Nodes;
using Pleura.Datasets;
using Pleura.Imaging;
using Pleura.Training;

namespace Pleura.Transfer;

/// <summary>What `pleura pretrain` trains on and how.</summary>
public sealed record PretrainJob
{
    public required LabelledInput Input { get; init; }
    public required string Output { get; init; }
    public double ValidationFraction { get; init; } = 0.15;
    public TrainingConfig Training { get; init; } = new() { Stage1Epochs = 0, Stage2Epochs = 30, UnfreezeConvLayers = -1, Stage2LearningRate = 1e-3 };
    public string? StartFrom { get; init; }
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
    public static PretrainOutcome Run(PretrainJob job, Action<string>? log = null, Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        log ??= _ => { };
        var data = job.Input.Decode(job.Training.ImageSize, Path.ChangeExtension(job.Output, ".left-out.txt"), log, cancel);
        var classes = data.Classes;
        int size = data.Size;

        // Stratified, seeded, patient-level hold-out for early stopping and the reported accuracy.
        var parts = LabelledSource.HoldOut(data.Items, new[] { job.ValidationFraction }, job.Training.Seed);
        using var train = data.Select(Enumerable.Range(0, data.Items.Count).Where(i => parts[i] == 0));
        using var val = data.Select(Enumerable.Range(0, data.Items.Count).Where(i => parts[i] == 1));

        var config = job.Training.StartingFrom(job.StartFrom);
        var work = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(job.Output))!, Path.GetFileNameWithoutExtension(job.Output) + ".work");
        using var trained = ModelTraining.Train(new TrainingPlan(config, classes.Count, new ModelStart(config.Seed, job.StartFrom), work), train, val, progress, log, cancel);
        var result = trained.Result;
        var (_, predicted) = trained.Evaluate(val);
        double accuracy = predicted.Zip(val.Labels).Count(p => p.First == p.Second) / (double)val.Count;
        trained.Save(job.Output, trained.Describe(classes) with
        {
            InputSize = size,
            Metrics = new JsonObject { ["validation_accuracy"] = accuracy, ["validation_images"] = val.Count, ["source"] = Path.GetFullPath(job.Input.Source) },
        });
        log($"validation accuracy {accuracy.ToString("P1", CultureInfo.InvariantCulture)} on {val.Count} images");
        return new PretrainOutcome(job.Output, classes, train.Count, val.Count, accuracy, result, data.Failures);
    }
}
