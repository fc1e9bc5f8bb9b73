using Pleura.Networks;
using Pleura.Networks.Weights;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>
/// Where a network's weights begin: one seeded initialisation of the architecture, then, optionally, a pretrained
/// backbone loaded over it (its head replaced). Equal starts give equal networks, which is what paired comparisons and
/// the shared activation cache rely on.
/// </summary>
public sealed record ModelStart(long Seed, string? Pretrained = null)
{
    /// <summary>The pretrained tensors when read already (a caller starting many models from one file reads it once).</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>>? PretrainedWeights { get; init; }

    public (nn.Module<Tensor, Tensor> Model, ArchitectureInfo Architecture) Create(TrainingConfig config, int classes, Action<string>? log = null)
    {
        var architecture = Architectures.Get(config.Architecture);
        var model = SeededInit.Create(Seed, () => architecture.Create(classes, config.InputChannels));
        if (Pretrained is null) return (model, architecture);
        var report = PretrainedWeights is null
            ? PretrainedStart.Load(model, architecture.HeadPrefix, Pretrained)
            : PretrainedStart.Load(model, architecture.HeadPrefix, PretrainedWeights, Pretrained, PretrainedStart.RecipeOf(Pretrained));
        log?.Invoke($"started from {Pretrained}: {report}");
        return (model, architecture);
    }
}

/// <summary>One training: the settings, how many classes, where the weights start and the folder it resumes from.</summary>
public sealed record TrainingPlan(TrainingConfig Config, int Classes, ModelStart Start, string WorkFolder)
{
    /// <summary>Frozen-prefix activations shared with other trainings (studies); changes speed, not results.</summary>
    public ActivationCache? Cache { get; init; }
}

/// <summary>A trained network with how its training went; it scores sets and writes its checkpoint.</summary>
public sealed class TrainedModel : IDisposable
{
    readonly Trainer _trainer;

    internal TrainedModel(nn.Module<Tensor, Tensor> model, Trainer trainer, TrainingResult result, TrainingPlan plan) =>
        (Model, _trainer, Result, Plan) = (model, trainer, result, plan);

    public nn.Module<Tensor, Tensor> Model { get; }
    public TrainingResult Result { get; }
    public TrainingPlan Plan { get; }

    /// <summary>Mean loss and predicted classes on a set, as the trainer computes them (through the input recipe).</summary>
    public (double Loss, int[] Predictions) Evaluate(LabelledImages set) => _trainer.Evaluate(set);

    /// <summary>
    /// The checkpoint description every trained model shares, filled here once: architecture, classes, input size,
    /// channels and recipe, decision rule, training settings, start and how training ended. Tasks add what is theirs
    /// (side, label column, ROI, metrics, split and data fingerprints, the images seen) with <c>with</c>.
    /// </summary>
    public CheckpointInfo Describe(IReadOnlyList<string> classes) => Plan.Config.RecordedIn(new CheckpointInfo
    {
        Architecture = Plan.Config.Architecture,
        Classes = classes,
        InputSize = Plan.Config.ImageSize,
        InputChannels = Plan.Config.InputChannels,
        PretrainedFrom = Plan.Start.Pretrained,
        StopReason = Result.StopReason,
    });

    public void Save(string path, CheckpointInfo info) => Checkpoint.Save(path, Model, info);

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The one way Pleura trains a classifier (grading sides, study trials, pretraining, transfer comparisons): build the
/// network from its start, run the two-stage trainer in a resumable folder, hand back the trained model.
/// </summary>
public static class ModelTraining
{
    public static TrainedModel Train(TrainingPlan plan, LabelledImages train, LabelledImages validation, Action<TrainingProgress>? progress = null,
        Action<string>? log = null, CancellationToken cancel = default)
    {
        var (model, architecture) = plan.Start.Create(plan.Config, plan.Classes, log);
        try
        {
            var trainer = new Trainer(model, architecture.HeadPrefix, plan.Config, plan.WorkFolder, plan.Classes, architecture.Stage2Prefix, plan.Cache);
            var result = trainer.Train(train, validation, progress, cancel);
            return new TrainedModel(model, trainer, result, plan);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
