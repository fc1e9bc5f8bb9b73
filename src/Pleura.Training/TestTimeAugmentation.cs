using Pleura.Networks;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>
/// Test-time augmentation: class probabilities averaged over the image and <c>copies</c> seeded variants of it (the
/// over-sampling augmentations: small rotation, scaling and shift, never a flip). Steadies the answer of a model trained
/// on few images; deterministic from the seed.
/// </summary>
public static class TestTimeAugmentation
{
    public static float[][] Probabilities(nn.Module<Tensor, Tensor> model, Tensor images, int inputChannels, InputRecipe recipe, int copies,
        int seed = Pleura.Networks.Weights.CheckpointInfo.DefaultTestTimeAugmentationSeed, int batchSize = 32)
    {
        var sum = Inference.Probabilities(model, images, inputChannels, recipe, batchSize);
        if (copies <= 0) return sum;
        var augmenter = new Augmenter();
        long n = images.shape[0];
        for (int copy = 1; copy <= copies; copy++)
        {
            using var scope = NewDisposeScope();
            // A fixed arithmetic mix (HashCode is randomised per process): the same copies in every run.
            var seeds = Enumerable.Range(0, (int)n).Select(i => unchecked(seed * 1_000_003 + copy * 10_007 + i)).ToList();
            var augmented = Inference.Probabilities(model, augmenter.Apply(images, seeds), inputChannels, recipe, batchSize);
            for (int i = 0; i < n; i++)
                for (int k = 0; k < sum[i].Length; k++) sum[i][k] += augmented[i][k];
        }
        foreach (var row in sum)
            for (int k = 0; k < row.Length; k++) row[k] /= copies + 1;
        return sum;
    }
}
