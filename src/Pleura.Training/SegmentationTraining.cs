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
    public static bool[][][] Predict(nn.Module<Tensor, Tensor> model, Tensor images, int inputChannels = 1, InputRecipe? recipe = null, int batchSize = 8) =>
        Probabilities(model, images, inputChannels, recipe, batchSize).Select(image => image.Select(map => map.Select(v => v >= 0.5f).ToArray()).ToArray()).ToArray();

    /// <summary>Per-pixel probabilities for every image: N x K x S x S as float arrays per image and structure.</summary>
    public static float[][][] Probabilities(nn.Module<Tensor, Tensor> model, Tensor images, int inputChannels = 1, InputRecipe? recipe = null, int batchSize = 8)
    {
        model.eval();
        using var _ = no_grad();
        var result = new List<float[][]>();
        for (long start = 0; start < images.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var x = images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start));
            var probabilities = model.call((recipe ?? InputRecipe.UnitGrey).Feed(x, inputChannels)).sigmoid().contiguous();
            long k = probabilities.shape[1], pixels = probabilities.shape[2] * probabilities.shape[3];
            var values = probabilities.data<float>().ToArray();
            for (long i = 0; i < probabilities.shape[0]; i++)
                result.Add(Enumerable.Range(0, (int)k).Select(c => values.AsSpan((int)((i * k + c) * pixels), (int)pixels).ToArray()).ToArray());
        }
        return result.ToArray();
    }
}

/// <summary>
/// A multiple-instance loss that learns a one-channel opacity map from zone scores (the fourth study's weak labels),
/// with no opacity drawn by hand. Per known zone: a smooth maximum of the zone's pixel logits (log-mean-exp with
/// sharpness r, between the mean at r -> 0 and the maximum at r -> infinity) against "scored above 0", and the zone's
/// mean pixel probability against score / 3, both binary cross-entropies; pixels outside the lungs against 0.
/// </summary>
public static class ZoneLoss
{
    public const string Name = "zone-mil";
    /// <summary>Zones per image (BrixIA's six).</summary>
    public const int Zones = 6;

    /// <param name="logits">N x 1 x H x W.</param>
    /// <param name="masks">N x 7 x H x W of 0/1: the six zones, then both lungs.</param>
    /// <param name="labels">N x 18: per zone the target of "scored > 0", of score / 3, and 1 where the zone is known.</param>
    /// <param name="sharpness">r of the smooth maximum.</param>
    public static Tensor Compute(Tensor logits, Tensor masks, Tensor labels, double sharpness = 4)
    {
        if (masks.shape[1] != Zones + 1 || labels.shape[1] != 3 * Zones)
            throw new ArgumentException($"zone supervision needs {Zones + 1} mask channels and {3 * Zones} labels per image, not {masks.shape[1]} and {labels.shape[1]}");
        var zones = masks.narrow(1, 0, Zones);
        var outside = 1 - masks.narrow(1, Zones, 1);
        var dims = new long[] { 2, 3 };
        var area = zones.sum(dims);
        var known = labels.narrow(1, 2 * Zones, Zones) * area.gt(0).to_type(labels.dtype);
        // log-mean-exp over the zone: pixels outside it pushed to a large negative (finite, so an empty zone stays a number).
        var scaled = (logits * sharpness).expand_as(zones).masked_fill(zones.lt(0.5), -1e4).flatten(2).logsumexp(2);
        var pooled = (scaled - area.clamp_min(1).log()) / sharpness;
        var any = F.binary_cross_entropy_with_logits(pooled, labels.narrow(1, 0, Zones), reduction: nn.Reduction.None);
        var mean = ((logits.sigmoid() * zones).sum(dims) / area.clamp_min(1)).clamp(1e-6, 1 - 1e-6);
        var share = F.binary_cross_entropy(mean, labels.narrow(1, Zones, Zones), reduction: nn.Reduction.None);
        var zoneLoss = ((any + share) * known).sum() / known.sum().clamp_min(1);
        var background = (F.binary_cross_entropy_with_logits(logits, zeros_like(logits), reduction: nn.Reduction.None) * outside).sum() / outside.sum().clamp_min(1);
        return zoneLoss + background;
    }
}
