using System.Diagnostics;
using Pleura.Files;
using Pleura.Networks;
using Pleura.Networks.Weights;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>
/// Reduce-LR-on-plateau, PyTorch's rule: a relative threshold of 1e-4, and the rate times <paramref name="Factor"/> after
/// more than <paramref name="Patience"/> epochs without a better validation loss.
/// </summary>
public sealed record PlateauSchedule(int Patience, double Factor);

/// <summary>
/// One stage of epochs: its number (1 for a single-stage run), how many epochs at most, the learning rate it starts
/// with, what its records say of it, and when it stops early.
/// </summary>
/// <param name="Examples">Training examples per epoch (in the records).</param>
/// <param name="TrainableParameters">Parameters the stage trains (in the records).</param>
/// <param name="EarlyStoppingPatience">Stop after this many epochs without a better validation loss.</param>
public sealed record EpochStage(int Number, int Epochs, double LearningRate, int Examples, int TrainableParameters, int EarlyStoppingPatience)
{
    /// <summary>How the learning rate falls (null: it stays).</summary>
    public PlateauSchedule? Plateau { get; init; }

    /// <summary>Put before "early stop after epoch …" in the stop reason (e.g. "stage 2: ").</summary>
    public string StopPrefix { get; init; } = "";
}

/// <summary>What one epoch of training gave: its mean loss, or why the run diverged (the loop then keeps the last good weights).</summary>
public readonly record struct EpochTraining(double Loss, string? Divergence = null)
{
    public static EpochTraining Diverged(string why) => new(double.NaN, why);
}

/// <summary>What validation after an epoch gave; the loss decides the schedule, early stopping and the best weights.</summary>
public readonly record struct EpochValidation(double Loss, double MacroMae = double.NaN, double Accuracy = double.NaN);

/// <summary>
/// The weight files of one stage in a work folder: the best and the last epoch's weights and, when a start file is
/// named, the whole model at the stage's start, over which best and last (then only the entries the stage can change)
/// are laid. A frozen backbone is then not rewritten every epoch.
/// </summary>
public sealed class EpochCheckpoints(nn.Module model, string folder, string best, string last, string? start = null, IReadOnlySet<string>? changing = null)
{
    public bool HasStart => start is not null && File.Exists(Path.Combine(folder, start));

    /// <summary>Writes the whole model as the stage's start.</summary>
    public void SaveStart() => Save(model, Path.Combine(folder, start ?? throw new InvalidOperationException("no start file named")));

    /// <summary>The last good weights: the stage's start, with its best epoch laid over it when there is one.</summary>
    public void RestoreGood()
    {
        if (start is not null) Load(model, Path.Combine(folder, start));
        if (File.Exists(Path.Combine(folder, best))) Load(model, Path.Combine(folder, best));
    }

    internal void SaveBest() => Save(model, Path.Combine(folder, best), changing);
    internal void SaveLast() => Save(model, Path.Combine(folder, last), changing);
    public void LoadBest() => Load(model, Path.Combine(folder, best));

    internal void LoadLast()
    {
        if (start is not null) Load(model, Path.Combine(folder, start));
        Load(model, Path.Combine(folder, last));
    }

    /// <summary>Writes the model's state dict, or only the named entries of it.</summary>
    public static void Save(nn.Module model, string path, IReadOnlySet<string>? only = null) =>
        Safetensors.Write(path, StateDicts.Ordered(model).Where(kv => only is null || only.Contains(kv.Key)));

    /// <summary>Loads a whole model, or lays a partial file over the weights in place.</summary>
    public static void Load(nn.Module model, string path)
    {
        var contents = Safetensors.Read(path);
        try
        {
            var entries = StateDicts.Ordered(model).ToDictionary(kv => kv.Key, kv => kv.Value);
            if (contents.Tensors.Count == entries.Count) { WeightLoader.Load(model, contents.Tensors, origin: path); return; }
            using var _ = no_grad();
            foreach (var (key, value) in contents.Tensors)
            {
                if (!entries.TryGetValue(key, out var target)) throw new InvalidDataException($"{path}: {key} is not in the model");
                target.copy_(value);
            }
        }
        finally { foreach (var (_, t) in contents.Tensors) t.Dispose(); }
    }
}

/// <summary>
/// The epoch loop every Pleura trainer shares (the classifier's two stages, the segmentation network): a work folder
/// that holds, after every epoch, the weights, the optimizer's moments and the counters (state.json, with the log as
/// epochs.csv beside it), so a stopped run continues from its last completed epoch and ends as an uninterrupted one
/// would; a plateau schedule for the learning rate; early stopping that keeps the best validation-loss weights; each
/// epoch in its own dispose scope (flat memory) and logged with its time and resident memory.
/// The caller trains and validates an epoch; the loop does the rest.
/// </summary>
public sealed class EpochLoop
{
    const string OptimizerState = "optimizer.bin";
    readonly string _folder;

    /// <summary>Opens a work folder: a new run, or a stopped one with the same settings (another hash is refused).</summary>
    /// <param name="what">What the folder holds, for the refusal ("training run").</param>
    public EpochLoop(string folder, string settingsHash, string what)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
        State = ResumeState.Load(folder) ?? new ResumeState { ConfigHash = settingsHash };
        if (State.ConfigHash != settingsHash)
            throw new InvalidDataException($"{folder} holds a {what} with other settings; choose another folder or delete it to start afresh");
    }

    public ResumeState State { get; }

    public bool Completed => State.Completed;

    /// <summary>The learning rate a stage starting at <paramref name="initial"/> has now (a resumed one keeps its schedule's).</summary>
    public double LearningRate(double initial) => double.IsNaN(State.LearningRate) ? initial : State.LearningRate;

    /// <summary>
    /// Brings back the weights and optimizer moments of a stage stopped after some epoch; false when the stage has not
    /// started, the weights as they are.
    /// </summary>
    public bool Resume(EpochCheckpoints weights, TorchSharp.Modules.OptimizerHelper optimizer)
    {
        if (State.EpochsDone == 0) return false;
        weights.LoadLast();
        optimizer.load_state_dict(Path.Combine(_folder, OptimizerState));
        return true;
    }

    /// <summary>
    /// Runs the stage's remaining epochs; at the end the model holds its best weights. True when training diverged:
    /// the stop reason says where, and the model holds the last good weights.
    /// </summary>
    /// <param name="train">One epoch of training (its number given); it steps the optimizer.</param>
    /// <param name="validate">The validation loss (and grading figures) after an epoch.</param>
    /// <param name="onEpoch">Told each epoch's record once the folder holds it.</param>
    public bool Run(EpochStage stage, TorchSharp.Modules.OptimizerHelper optimizer, EpochCheckpoints weights, Func<int, EpochTraining> train, Func<EpochValidation> validate,
        Action<EpochRecord>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validate);
        double lr = LearningRate(stage.LearningRate);
        for (int epoch = State.EpochsDone + 1; epoch <= stage.Epochs; epoch++)
        {
            // Anything an epoch creates and does not keep (stray views, saved copies) goes with it: memory stays flat.
            using var epochScope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var trained = train(epoch);
            if (trained.Divergence is { } why)
            {
                State.StopReason = why;
                weights.RestoreGood();
                return true;
            }
            var validation = validate();
            var record = new EpochRecord(stage.Number, epoch, lr, trained.Loss, validation.Loss, validation.MacroMae, validation.Accuracy,
                stage.Examples, stage.TrainableParameters, clock.Elapsed.TotalSeconds, ResidentMemory.AfterCollection());
            State.History.Add(record);

            if (stage.Plateau is { } plateau)
            {
                if (validation.Loss < State.PlateauBest * (1 - 1e-4)) { State.PlateauBest = validation.Loss; State.PlateauBadEpochs = 0; }
                else if (++State.PlateauBadEpochs > plateau.Patience)
                {
                    lr *= plateau.Factor;
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                    State.PlateauBadEpochs = 0;
                }
            }
            State.LearningRate = lr;

            bool stop = false;
            if (validation.Loss < State.BestValidationLoss)
            {
                State.BestValidationLoss = validation.Loss;
                State.EpochsSinceBest = 0;
                weights.SaveBest();
            }
            else if (++State.EpochsSinceBest >= stage.EarlyStoppingPatience)
            {
                State.StopReason = $"{stage.StopPrefix}early stop after epoch {epoch} ({stage.EarlyStoppingPatience} epochs without a better validation loss)";
                stop = true;
            }

            State.EpochsDone = stop ? stage.Epochs : epoch; // an early-stopped stage is finished, also for a resumed run
            weights.SaveLast();
            AtomicFile.Write(Path.Combine(_folder, OptimizerState), temp => optimizer.save_state_dict(temp));
            State.Save(_folder);
            onEpoch?.Invoke(record);
            if (stop) break;
        }
        weights.LoadBest();
        return false;
    }

    /// <summary>Moves on to the next stage: its epochs, schedule and early stopping start afresh.</summary>
    public void NextStage()
    {
        State.Stage++;
        State.EpochsDone = 0;
        State.LearningRate = double.NaN;
        State.BestValidationLoss = double.PositiveInfinity;
        State.EpochsSinceBest = 0;
        State.PlateauBest = double.PositiveInfinity;
        State.PlateauBadEpochs = 0;
        State.Save(_folder);
    }

    /// <summary>Marks the run finished (a later call with the folder returns at once).</summary>
    public void Complete()
    {
        State.Completed = true;
        State.StopReason ??= "all epochs done";
        State.Save(_folder);
    }
}
