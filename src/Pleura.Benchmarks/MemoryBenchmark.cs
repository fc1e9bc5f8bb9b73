using Pleura.Datasets;
using Pleura.Networks;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Benchmarks;

/// <summary>
/// Resident memory against epoch 2's (the first after warm-up): flat when epoch 10 is within
/// <see cref="Tolerance"/> of it.
/// </summary>
/// <param name="Baseline">Epoch 2's resident megabytes (NaN with fewer epochs).</param>
/// <param name="Epoch10Change">Epoch 10's relative change (null with fewer than ten epochs).</param>
public sealed record MemoryVerdict(double Baseline, double? Epoch10Change)
{
    public const double Tolerance = 0.05;

    /// <summary>Null when the run had fewer than ten epochs.</summary>
    public bool? Flat => Epoch10Change is { } change ? Math.Abs(change) <= Tolerance : null;

    /// <summary>An epoch's resident memory relative to epoch 2's.</summary>
    public double Change(EpochRecord epoch) => epoch.ResidentMegabytes / Baseline - 1;

    public static MemoryVerdict Of(IReadOnlyList<EpochRecord> history)
    {
        double second = history.Count >= 2 ? history[1].ResidentMegabytes : double.NaN;
        return new MemoryVerdict(second, history.Count >= 10 ? history[9].ResidentMegabytes / second - 1 : null);
    }
}

/// <summary>
/// `pleura bench memory`: a long single-stage training run on phantoms that records resident memory after every
/// epoch, to show that nothing leaks (TorchSharp tensors that escape dispose scopes would show as steady growth).
/// </summary>
public static class MemoryBenchmark
{
    public static IReadOnlyList<EpochRecord> Run(int epochs, int images, int size, string architecture, string folder)
    {
        using var train = PhantomTensors.Left(1, images, size);
        using var validation = PhantomTensors.Left(2, Math.Max(16, images / 8), size);
        var model = SeededInit.Create(1, () => Architectures.Get(architecture).Create(4, 1));
        var config = new TrainingConfig
        {
            Architecture = architecture, ImageSize = size, InputChannels = 1, BatchSize = 32, Stage1Epochs = 0, Stage2Epochs = epochs,
            Stage2LearningRate = 1e-3, UnfreezeConvLayers = -1, EarlyStoppingPatience = epochs + 1, PlateauPatience = epochs + 1,
        };
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return new Trainer(model, Architectures.Get(architecture).HeadPrefix, config, folder).Train(train, validation).History;
    }
}
