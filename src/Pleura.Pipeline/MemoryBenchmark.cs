using Pleura.Networks;
using Pleura.Phantoms;
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
        var random = new Random(1);
        LabelledImages Make(int seed, int count)
        {
            var pixels = new List<float[]>();
            var labels = new List<int>();
            for (int i = 0; i < count; i++)
            {
                var p = PhantomDataset.RenderOne(seed, i, size, random.Next(4), random.Next(4));
                pixels.Add(p.Image);
                labels.Add(p.LeftGrade);
            }
            return LabelledImages.FromPixels(pixels, size, labels);
        }
        using var train = Make(1, images);
        using var validation = Make(2, Math.Max(16, images / 8));
        manual_seed(1);
        var model = Architectures.Get(architecture).Create(4, 1);
        var config = new TrainingConfig
        {
            Architecture = architecture, ImageSize = size, InputChannels = 1, BatchSize = 32, Stage1Epochs = 0, Stage2Epochs = epochs,
            Stage2LearningRate = 1e-3, UnfreezeConvLayers = -1, EarlyStoppingPatience = epochs + 1, PlateauPatience = epochs + 1,
        };
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return new Trainer(model, Architectures.Get(architecture).HeadPrefix, config, folder).Train(train, validation).History;
    }
}
