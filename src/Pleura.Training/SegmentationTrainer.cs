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

    public string Hash() => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(this))))[..16];
}

/// <summary>
/// The segmentation loop with the classification trainer's guarantees, through the same <see cref="EpochLoop"/>:
/// Dice + BCE with Adam, augmentation (image and masks moved together), validation loss after every epoch, early
/// stopping that restores the best weights, and a folder that holds weights, optimizer moments and counters after
/// every epoch, so a stopped run continues from its last completed epoch; each epoch in its own dispose scope (flat
/// memory), per-epoch log with resident memory. The learning rate stays as set.
/// </summary>
public sealed class SegmentationTrainer(nn.Module<Tensor, Tensor> model, SegmentationSettings settings, string folder)
{
    public TrainingResult Train(Tensor images, Tensor masks, Tensor validationImages, Tensor validationMasks, Action<EpochRecord>? onEpoch = null, CancellationToken cancel = default)
    {
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
                if (settings.Augment)
                {
                    // One transform per image and epoch, from seeds: the same geometry for the image and its masks, and a
                    // resumed run draws the same ones.
                    var moved = new Augmenter().Apply(cat(new[] { x, y }, 1), rows.Select(i => unchecked(settings.Seed * 1_000_003 + epoch * 10_007 + i)).ToList());
                    x = moved.narrow(1, 0, 1);
                    y = moved.narrow(1, 1, y.shape[1]).ge(0.5).to_type(y.dtype);
                }
                var loss = SegmentationLoss.DiceBce(model.call(Input(x)), y);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                sum += loss.item<float>() * index.shape[0];
            }
            return new EpochTraining(sum / n);
        }

        var stage = new EpochStage(1, settings.Epochs, settings.LearningRate, (int)n, (int)model.parameters().Sum(p => p.numel()), settings.Patience);
        loop.Run(stage, optimizer, weights, TrainEpoch, () => new EpochValidation(ValidationLoss(validationImages, validationMasks)), onEpoch);
        loop.Complete();
        return Result(loop.State);
    }

    static TrainingResult Result(ResumeState state) => new(state.History, state.BestValidationLoss, state.StopReason, false);

    Tensor Input(Tensor x) => (settings.Input ?? InputRecipe.UnitGrey).Feed(x, settings.InputChannels);

    double ValidationLoss(Tensor images, Tensor masks)
    {
        model.eval();
        using var _ = no_grad();
        double sum = 0;
        for (long start = 0; start < images.shape[0]; start += settings.BatchSize)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(settings.BatchSize, images.shape[0] - start);
            sum += SegmentationLoss.DiceBce(model.call(Input(images.narrow(0, start, count))), masks.narrow(0, start, count)).item<float>() * count;
        }
        return sum / images.shape[0];
    }
}
