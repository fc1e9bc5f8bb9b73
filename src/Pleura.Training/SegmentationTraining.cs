using Pleura.Networks;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Training;

/// <summary>Dice + binary cross-entropy for multi-label masks (one sigmoid channel per structure).</summary>
public static class SegmentationLoss
{
    /// <param name="logits">N x K x H x W.</param>
    /// <param name="targets">N x K x H x W of 0/1.</param>
    public static Tensor DiceBce(Tensor logits, Tensor targets, double smooth = 1)
    {
        var bce = F.binary_cross_entropy_with_logits(logits, targets);
        var p = logits.sigmoid();
        var dims = new long[] { 2, 3 };
        var intersection = (p * targets).sum(dims);
        var dice = (2 * intersection + smooth) / (p.sum(dims) + targets.sum(dims) + smooth);
        return bce + (1 - dice).mean();
    }
}

/// <summary>Applying a segmentation network (training is <see cref="SegmentationTrainer"/>).</summary>
public static class SegmentationTraining
{
    /// <summary>Binary masks (probability >= 0.5) for every image: N x K x S x S as bool arrays per image and structure.</summary>
    public static bool[][][] Predict(nn.Module<Tensor, Tensor> model, Tensor images, int inputChannels = 1, InputRecipe? recipe = null, int batchSize = 8)
    {
        model.eval();
        using var _ = no_grad();
        var result = new List<bool[][]>();
        for (long start = 0; start < images.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var x = images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start));
            var probabilities = model.call((recipe ?? InputRecipe.UnitGrey).Feed(x, inputChannels)).sigmoid().contiguous();
            long k = probabilities.shape[1], pixels = probabilities.shape[2] * probabilities.shape[3];
            var values = probabilities.data<float>().ToArray();
            for (long i = 0; i < probabilities.shape[0]; i++)
                result.Add(Enumerable.Range(0, (int)k).Select(c => values.AsSpan((int)((i * k + c) * pixels), (int)pixels).ToArray().Select(v => v >= 0.5f).ToArray()).ToArray());
        }
        return result.ToArray();
    }
}
