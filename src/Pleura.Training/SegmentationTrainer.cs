using Pleura.Networks;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>Settings of a segmentation run; hashed so a resumed run is only continued with the same ones.</summary>
public sealed record SegmentationSettings
{
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 8;
    public double LearningRate { get; init; } = 1e-3;
    public int InputChannels { get; init; } = 1;
    public int Seed { get; init; } = 1;
    /// <summary>Stop after this many epochs without a better validation loss (and keep the best weights).</summary>
    public int Patience { get; init; } = 10;
    /// <summary>Every training image is rotated, scaled and shifted afresh each epoch, its masks with it (never flipped).</summary>
    public bool Augment { get; init; } = true;
    /// <summary>How pixels reach the network (null: grey in [0, 1]); left out of the hash when null.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public InputRecipe? Input { get; init; }
    /// <summary>The loss, when not Dice + BCE against masks: <see cref="ZoneLoss.Name"/> for a map learned from zone scores;
    /// left out of the hash when null.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Objective { get; init; }

    public string Hash() => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(this))))[..16];
}

/// <summary>
/// The segmentation loop with the classification trainer's guarantees, through the same <see cref="EpochLoop"/>:
/// Dice + BCE with Adam, augmentation (image and masks moved together), validation loss after every epoch, early
/// stopping that restores the best weights, and a folder that holds weights, optimizer moments and counters after
/// every epoch, so a stopped run continues from its last completed epoch; each epoch in its own dispose scope (flat
/// memory), per-epoch log with resident memory. The learning rate stays as set.
/// </summary>
/// <remarks>
/// A weakly supervised objective (<see cref="SegmentationSettings.Objective"/>) gets per-image labels beside the masks
/// (N x L, indexed with the images, never moved by augmentation); its masks are then the regions the labels speak of.
/// </remarks>
public sealed class SegmentationTrainer(nn.Module<Tensor, Tensor> model, SegmentationSettings settings, string folder)
{
    public TrainingResult Train(Tensor images, Tensor masks, Tensor validationImages, Tensor validationMasks, Action<EpochRecord>? onEpoch = null, CancellationToken cancel = default) =>
        Train(images, masks, null, validationImages, validationMasks, null, onEpoch, cancel);

    /// <summary>Training with per-image labels for a weakly supervised objective.</summary>
    public TrainingResult Train(Tensor images, Tensor masks, Tensor? labels, Tensor validationImages, Tensor validationMasks, Tensor? validationLabels,
        Action<EpochRecord>? onEpoch = null, CancellationToken cancel = default)
    {
        if ((labels is null) != (settings.Objective is null) || (labels is null) != (validationLabels is null))
            throw new ArgumentException("per-image labels go with an objective that reads them (SegmentationSettings.Objective), for training and validation alike");
        var loop = new EpochLoop(folder, settings.Hash(), "segmentation run");
        var weights = new EpochCheckpoints(model, folder, "best.safetensors", "last.safetensors");
        if (loop.Completed)
        {
            weights.LoadBest();
            return Result(loop.State);
        }
        using var optimizer = optim.Adam(model.parameters(), loop.LearningRate(settings.LearningRate));
        loop.Resume(weights, optimizer);
        long n = images.shape[0];

        EpochTraining TrainEpoch(int epoch)
        {
            model.train();
            var random = new Random(settings.Seed * 7919 + epoch);
            var order = Enumerable.Range(0, (int)n).OrderBy(_ => random.Next()).ToArray();
            double sum = 0;
            for (int start = 0; start < n; start += settings.BatchSize)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var rows = order.Skip(start).Take(settings.BatchSize).ToList();
                var index = tensor(rows.Select(i => (long)i).ToArray());
                var (x, y) = (images.index_select(0, index), masks.index_select(0, index));
                var l = labels?.index_select(0, index);
                if (settings.Augment)
                {
                    // One transform per image and epoch, from seeds: the same geometry for the image and its masks, and a
                    // resumed run draws the same ones.
                    var moved = new Augmenter().Apply(cat(new[] { x, y }, 1), rows.Select(i => unchecked(settings.Seed * 1_000_003 + epoch * 10_007 + i)).ToList());
                    x = moved.narrow(1, 0, 1);
                    y = moved.narrow(1, 1, y.shape[1]).ge(0.5).to_type(y.dtype);
                }
                var loss = Loss(model.call(Input(x)), y, l);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                sum += loss.item<float>() * index.shape[0];
            }
            return new EpochTraining(sum / n);
        }

        var stage = new EpochStage(1, settings.Epochs, settings.LearningRate, (int)n, (int)model.parameters().Sum(p => p.numel()), settings.Patience);
        loop.Run(stage, optimizer, weights, TrainEpoch, () => new EpochValidation(ValidationLoss(validationImages, validationMasks, validationLabels)), onEpoch);
        loop.Complete();
        return Result(loop.State);
    }

    static TrainingResult Result(ResumeState state) => new(state.History, state.BestValidationLoss, state.StopReason, false);

    Tensor Input(Tensor x) => (settings.Input ?? InputRecipe.UnitGrey).Feed(x, settings.InputChannels);

    Tensor Loss(Tensor logits, Tensor masks, Tensor? labels) => settings.Objective switch
    {
        null => SegmentationLoss.DiceBce(logits, masks),
        ZoneLoss.Name => ZoneLoss.Compute(logits, masks, labels!),
        var other => throw new ArgumentException($"unknown segmentation objective '{other}'"),
    };

    double ValidationLoss(Tensor images, Tensor masks, Tensor? labels)
    {
        model.eval();
        using var _ = no_grad();
        double sum = 0;
        for (long start = 0; start < images.shape[0]; start += settings.BatchSize)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(settings.BatchSize, images.shape[0] - start);
            sum += Loss(model.call(Input(images.narrow(0, start, count))), masks.narrow(0, start, count), labels?.narrow(0, start, count)).item<float>() * count;
        }
        return sum / images.shape[0];
    }
}
