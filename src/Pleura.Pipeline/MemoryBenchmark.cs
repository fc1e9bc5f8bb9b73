using Pleura.Networks;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Pipeline;

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
