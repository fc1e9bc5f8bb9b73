using Pleura.Networks;
using Pleura.Networks.Weights;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>
/// The one way a grader's checkpoint turns images (grey, its input size, in [0, 1]) into class probabilities and
/// grades: its input recipe, test-time augmentation with the copies and seed it records, its decision rule. `train`
/// (the test and validation figures of model.json), `evaluate`, `predict`, `serve` and study trials all score through
/// here, so one checkpoint gives one answer whichever command asks.
/// </summary>
public static class CheckpointScoring
{
    public static float[][] Probabilities(nn.Module<Tensor, Tensor> model, Tensor images, CheckpointInfo info, int batchSize = 32) =>
        TestTimeAugmentation.Probabilities(model, images, info.InputChannels, info.Recipe, info.TestTimeAugmentations,
            info.TestTimeAugmentationSeed, batchSize);

    public static int[] Grades(IReadOnlyList<float[]> probabilities, CheckpointInfo info) =>
        probabilities.Select(p => info.Decision.Decide(p)).ToArray();

    /// <summary>Probabilities and grades together.</summary>
    public static (float[][] Probabilities, int[] Grades) Score(nn.Module<Tensor, Tensor> model, Tensor images, CheckpointInfo info, int batchSize = 32)
    {
        var probabilities = Probabilities(model, images, info, batchSize);
        return (probabilities, Grades(probabilities, info));
    }
}
