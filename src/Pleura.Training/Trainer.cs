using System.Diagnostics;
using Pleura.Evaluation;
using Pleura.Networks;
using Pleura.Networks.Weights;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Training;

/// <summary>How a run ended.</summary>
public sealed record TrainingResult(IReadOnlyList<EpochRecord> History, double BestValidationLoss, string? StopReason, bool Diverged);

/// <summary>
/// Two-stage transfer learning (METHOD section 6). Stage 1 trains the classifier head with the backbone frozen and its
/// batch-norm layers in eval mode; stage 2 also trains the last N convolutions (and the batch-norm after each).
/// Each stage: Adam, reduce-LR-on-plateau, early stopping that restores the best validation-loss weights.
/// After every epoch the folder holds weights, optimizer moments and counters, so a stopped run continues from its
/// last completed epoch and ends exactly as an uninterrupted one would.
/// </summary>
public sealed class Trainer
{
    // Per stage: the whole model once at the stage's start, then after every epoch only what the stage can change
    // (its trainable parameters and the statistics of its training batch-norm layers): a frozen backbone is not
    // rewritten every epoch. The finished model is written whole.
    const string FinalWeights = "final.safetensors";

    readonly nn.Module<Tensor, Tensor> _model;
    readonly string _headPrefix;
    readonly string _stage2Prefix;
    readonly TrainingConfig _config;
    readonly string _folder;
    readonly int _classes;
    readonly ActivationCache? _cache;

    /// <param name="headPrefix">Parameters of the new classifier head (stage 1 trains only these).</param>
    /// <param name="stage2Prefix">Parameters stage 2 trains besides the last convolutions (default: the head).</param>
    /// <param name="cache">
    /// When given (and the network is an <see cref="IStagedNetwork"/>), each stage computes its frozen prefix once per
    /// image and trains only the rest: the same arithmetic as running the whole network every epoch, at a fraction of
    /// the cost, and shared with other runs whose frozen layers hold the same weights.
    /// </param>
    public Trainer(nn.Module<Tensor, Tensor> model, string headPrefix, TrainingConfig config, string folder, int classes = 4, string? stage2Prefix = null,
        ActivationCache? cache = null)
    {
        _cache = cache;
        config.Check();
        _model = model;
        // The model keeps its bfloat16 convolutions after training, so it scores sets as it was trained.
        if (config.Precision == ArithmeticPrecision.Bf16) Precision.TrainConvolutionsInBFloat16(model);
        _headPrefix = headPrefix;
        _stage2Prefix = stage2Prefix ?? headPrefix;
        _config = config;
        _folder = folder;
        _classes = classes;
        Directory.CreateDirectory(folder);
    }

    public TrainingResult Train(LabelledImages train, LabelledImages validation, Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        if (train.Count == 0 || validation.Count == 0) throw new ArgumentException($"need training and validation images (got {train.Count} and {validation.Count})");
        var loop = new EpochLoop(_folder, _config.Hash(), "training run");
        if (loop.Completed)
        {
            EpochCheckpoints.Load(_model, Path.Combine(_folder, FinalWeights));
            return Result(loop.State);
        }
        if (_config.Head == HeadFit.Ridge)
        {
            // No epochs: the head is fitted once on the stage-1 examples (balanced as stage 1 would be) and written whole.
            var examples = Balancer.Examples(train.Labels, _config.Balancing, 1, _config.Seed * 31 + 1);
            using var images = Materialise(train, examples);
            var probe = RidgeHead.Fit(_model, _headPrefix, images, examples.Select(e => train.Labels[e.Source]).ToList(), validation.Images, validation.Labels,
                Input, _classes, _config.BatchSize);
            loop.State.StopReason = $"ridge head fitted in closed form on {examples.Count} examples (strength {probe.Alpha:G3}, chosen on the validation part)";
            EpochCheckpoints.Save(_model, Path.Combine(_folder, FinalWeights));
            loop.Complete();
            return Result(loop.State);
        }
        for (int stage = loop.State.Stage; stage <= 2; stage++)
        {
            int epochs = stage == 1 ? _config.Stage1Epochs : _config.Stage2Epochs;
            if (epochs > 0 && RunStage(stage, epochs, loop, train, validation, progress, cancel)) break; // diverged
            loop.NextStage();
        }
        EpochCheckpoints.Save(_model, Path.Combine(_folder, FinalWeights));
        loop.Complete();
        return Result(loop.State);
    }

    static TrainingResult Result(ResumeState state) =>
        new(state.History, state.History.Count == 0 ? double.NaN : state.History.Min(h => h.ValidationLoss), state.StopReason,
            state.StopReason?.StartsWith("diverged", StringComparison.Ordinal) == true);

    EpochCheckpoints Checkpoints(int stage, IReadOnlySet<string>? changing = null) =>
        new(_model, _folder, $"stage{stage}-best.safetensors", $"stage{stage}-last.safetensors", $"stage{stage}-start.safetensors", changing);

    /// <summary>One stage's remaining epochs; true when it diverged.</summary>
    bool RunStage(int stage, int epochs, EpochLoop loop, LabelledImages train, LabelledImages validation,
        Action<TrainingProgress>? progress, CancellationToken cancel)
    {
        var trainable = StageSteps.Trainable(_model, stage, _headPrefix, _stage2Prefix, _config.UnfreezeConvLayers);
        var parameters = StageSteps.Unfreeze(_model, trainable);
        if (parameters.Count == 0) throw new InvalidOperationException($"stage {stage} has nothing to train (head prefix '{_headPrefix}')");
        int trainableCount = (int)parameters.Sum(p => p.numel());

        double initialRate = stage == 1 ? _config.Stage1LearningRate : _config.Stage2LearningRate;
        using var optimizer = optim.Adam(parameters, loop.LearningRate(initialRate));
        var weights = Checkpoints(stage, Changing(trainable));
        if (!loop.Resume(weights, optimizer))
        {
            // A resumed run entering this stage starts from the previous stage's best, as an uninterrupted one does.
            for (int previous = stage - 1; previous >= 1; previous--)
                if (Checkpoints(previous) is { HasStart: true } earlier)
                {
                    earlier.RestoreGood();
                    break;
                }
            weights.SaveStart();
        }

        var examples = Balancer.Examples(train.Labels, _config.Balancing, stage, _config.Seed * 31 + stage);
        using var stageImages = Materialise(train, examples);
        var stageLabels = examples.Select(e => train.Labels[e.Source]).ToArray();
        var (forward, trainInput, validationInput) = StageInputs(trainable, train, examples, stageImages, validation);
        using var ownedTrainInput = ReferenceEquals(trainInput, stageImages) ? null : trainInput;
        using var ownedValidationInput = ReferenceEquals(validationInput, validation.Images) ? null : validationInput;
        using var labelTensor = tensor(stageLabels.Select(l => (long)l).ToArray());
        int batches = (stageLabels.Length + _config.BatchSize - 1) / _config.BatchSize;

        EpochTraining TrainEpoch(int epoch)
        {
            SetModes(trainable);
            var order = Balancer.Shuffle(Enumerable.Range(0, stageLabels.Length).ToList(), new Random(_config.Seed * 7919 + stage * 1009 + epoch));
            double lossSum = 0;
            for (int b = 0; b < batches; b++)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var index = tensor(order.Skip(b * _config.BatchSize).Take(_config.BatchSize).Select(i => (long)i).ToArray());
                var logits = forward(trainInput.index_select(0, index));
                var loss = Losses.Mean(_config.Loss, logits, labelTensor.index_select(0, index));
                double value = loss.item<float>();
                if (!double.IsFinite(value))
                    return EpochTraining.Diverged($"diverged: stage {stage}, epoch {epoch}, batch {b + 1} gave a loss of {value}; kept the last good weights (lower the learning rate?)");
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += value * index.shape[0];
                progress?.Invoke(new TrainingProgress(stage, epoch, epochs, b + 1, batches, lossSum / Math.Min(stageLabels.Length, (b + 1) * _config.BatchSize)));
            }
            return new EpochTraining(lossSum / stageLabels.Length);
        }

        EpochValidation Validate()
        {
            var (loss, predictions) = Score(validationInput, validation.Labels, forward);
            var metrics = GradeMetrics.Compute(validation.Labels, predictions, _classes);
            return new EpochValidation(loss, metrics.MacroMae, metrics.Accuracy);
        }

        var plan = new EpochStage(stage, epochs, initialRate, stageLabels.Length, trainableCount, _config.EarlyStoppingPatience)
        {
            Plateau = new PlateauSchedule(_config.PlateauPatience, _config.PlateauFactor),
            StopPrefix = $"stage {stage}: ",
        };
        return loop.Run(plan, optimizer, weights, TrainEpoch, Validate);
    }

    /// <summary>
    /// What a stage's batches go through: the whole network on the images, or, with a cache, only the layers after the
    /// frozen prefix on the prefix's cached outputs.
    /// </summary>
    (Func<Tensor, Tensor> Forward, Tensor Train, Tensor Validation) StageInputs(HashSet<string> trainable, LabelledImages train,
        IReadOnlyList<Example> examples, Tensor stageImages, LabelledImages validation)
    {
        Func<Tensor, Tensor> whole = x => _model.call(Input(x));
        if (_cache is null || _model is not IStagedNetwork staged) return (whole, stageImages, validation.Images);
        var stages = staged.Stages;
        int cut = NetworkStages.FrozenPrefixLength(stages, trainable);
        if (cut == 0) return (whole, stageImages, validation.Images);

        SetModes(trainable); // frozen batch-norm layers in eval mode: the prefix is deterministic
        using var _ = no_grad();
        // bfloat16 prefixes give other activations than float32 ones from the same weights: they never share rows.
        string scope = $"{ActivationCache.PrefixFingerprint(_model, stages, cut)}/{_config.InputChannels}ch/{stageImages.shape[2]}x{stageImages.shape[3]}" +
            (_config.Precision == ArithmeticPrecision.Fp32 ? "" : $"/{_config.Precision}");
        string anonymous = Guid.NewGuid().ToString("N");
        string Key(LabelledImages set, int i) => set.Keys?[i] ?? $"{anonymous}/{(ReferenceEquals(set, train) ? "t" : "v")}{i}";
        var trainKeys = examples.Select(e => Key(train, e.Source) + (e.AugmentSeed is { } seed ? $"#aug{seed}" : "")).ToList();
        var validationKeys = Enumerable.Range(0, validation.Count).Select(i => Key(validation, i)).ToList();
        Tensor Prefix(Tensor x) => NetworkStages.Run(stages, Input(x), 0, cut);
        var trainInput = _cache.Get(scope, trainKeys, stageImages, Prefix, _config.BatchSize);
        var validationInput = _cache.Get(scope, validationKeys, validation.Images, Prefix, _config.BatchSize);
        return (StageSteps.AfterCut(stages, cut), trainInput, validationInput);
    }

    void SetModes(HashSet<string> trainable) => StageSteps.SetModes(_model, trainable);

    /// <summary>The stage's examples as one tensor; augmented copies are made here, once.</summary>
    static Tensor Materialise(LabelledImages train, IReadOnlyList<Example> examples)
    {
        using var scope = NewDisposeScope();
        var index = tensor(examples.Select(e => (long)e.Source).ToArray());
        var images = train.Images.index_select(0, index);
        var augmented = examples.Select((e, i) => (e, i)).Where(x => x.e.AugmentSeed.HasValue).ToList();
        if (augmented.Count > 0)
        {
            var rows = tensor(augmented.Select(x => (long)x.i).ToArray());
            var transformed = new Augmenter().Apply(images.index_select(0, rows), augmented.Select(x => x.e.AugmentSeed!.Value).ToList());
            images.index_copy_(0, rows, transformed);
        }
        return images.MoveToOuterDisposeScope();
    }

    Tensor Input(Tensor grey) => _config.Recipe.Feed(grey, _config.InputChannels);

    /// <summary>Mean cross-entropy and arg-max predictions on a set, in eval mode.</summary>
    public (double Loss, int[] Predictions) Evaluate(LabelledImages set) => Score(set.Images, set.Labels, x => _model.call(Input(x)));

    (double Loss, int[] Predictions) Score(Tensor inputs, IReadOnlyList<int> labelList, Func<Tensor, Tensor> forward)
    {
        _model.eval();
        using var _ = no_grad();
        double lossSum = 0;
        int n = labelList.Count;
        var predictions = new int[n];
        for (int start = 0; start < n; start += _config.BatchSize)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(_config.BatchSize, n - start);
            var logits = forward(inputs.narrow(0, start, count));
            var labels = tensor(labelList.Skip(start).Take(count).Select(l => (long)l).ToArray());
            lossSum += Losses.Sum(_config.Loss, logits, labels).item<float>();
            var probabilities = F.softmax(logits.to_type(ScalarType.Float32), 1).data<float>().ToArray();
            int k = (int)logits.shape[1];
            for (int i = 0; i < count; i++) predictions[start + i] = _config.Decision.Decide(probabilities.AsSpan(i * k, k));
        }
        return (lossSum / n, predictions);
    }

    /// <summary>State-dict entries a stage can change: its trainable parameters and the buffers of the modules that own them.</summary>
    HashSet<string> Changing(HashSet<string> trainable)
    {
        var owners = trainable.Select(n => n[..n.LastIndexOf('.')]).ToHashSet();
        return StateDicts.Ordered(_model).Select(kv => kv.Key)
            .Where(k => trainable.Contains(k) || (k.LastIndexOf('.') is int dot and > 0 && owners.Contains(k[..dot]))).ToHashSet();
    }
}
