using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>
/// Grey radiographs into networks made for RGB: either replicate the grey channel three times, or give the first
/// convolution one input channel whose kernel is the sum of the RGB kernels. The two are the same function
/// (conv(replicate(x), W) = conv(x, sum_c W_c)); the second costs a third of the first layer's arithmetic.
/// </summary>
public static class GreyInput
{
    /// <summary>Fits the first convolution's input channels to the model: RGB kernels summed for a grey model, a grey
    /// kernel spread over three channels for an RGB-shaped one.</summary>
    /// <param name="recipe">The weights' input recipe. Where its channels differ (ImageNet means per channel), a grey
    /// model is fed the channels' average (<see cref="InputRecipe.Feed"/>); the kernels are then summed with weights
    /// that undo the spreads, and the constant the means leave per filter is folded into the first convolution's bias or
    /// the batch-norm after it. Same function as the replicated input away from the image border (zero padding stands
    /// for a different grey there).</param>
    public static List<KeyValuePair<string, Tensor>> AdaptFirstConvolution(IEnumerable<KeyValuePair<string, Tensor>> weights, nn.Module model,
        string firstConvKey = "conv1.weight", InputRecipe? recipe = null)
    {
        var list = weights.ToList();
        var target = StateDicts.Ordered(model).FirstOrDefault(kv => kv.Key == firstConvKey).Value;
        var source = list.FirstOrDefault(kv => kv.Key == firstConvKey).Value;
        if (target is null || source is null || source.dim() != 4) return list;
        var w = source.to_type(ScalarType.Float32);
        if (target.shape[1] == 3 && w.shape[1] == 1)
            // A grey (one-channel) source into an RGB-shaped model: a third of the kernel per channel, so replicated grey
            // input gives the source's output exactly.
            return Replace(list, firstConvKey, w.expand(-1, 3, -1, -1).div(3).contiguous());
        if (target.shape[1] != 1 || w.shape[1] != 3) return list;

        recipe ??= InputRecipe.UnitGrey;
        var std = tensor(recipe.Std.Select(s => (float)s).ToArray()).view(1, 3, 1, 1);
        var mean = tensor(recipe.Mean.Select(m => (float)m).ToArray()).view(1, 3, 1, 1);
        float meanOfMeans = (float)recipe.Mean.Average(), stdOfStds = (float)recipe.Std.Average();
        var summed = (w * (stdOfStds / std)).sum(1, keepdim: true);
        list = Replace(list, firstConvKey, summed);
        // Per filter, what the per-channel means leave once the average mean is subtracted instead.
        var offset = (w * ((meanOfMeans - mean) / std)).sum(new long[] { 1, 2, 3 });
        if (offset.abs().max().item<float>() == 0) return list;
        string conv = firstConvKey[..^".weight".Length];
        var bias = list.FirstOrDefault(kv => kv.Key == conv + ".bias").Value;
        if (bias is not null) return Replace(list, conv + ".bias", bias.to_type(ScalarType.Float32) + offset);
        var norm = ModuleTree.DepthFirst(model).SkipWhile(m => m.Name != conv).Skip(1).FirstOrDefault(m => m.Module is BatchNorm2d or Conv2d);
        if (norm.Module is not BatchNorm2d)
            throw new InvalidDataException($"{conv} has neither a bias nor a batch-norm after it to take the input recipe's channel means; use replicated grey input");
        var key = norm.Name + ".running_mean";
        var runningMean = list.FirstOrDefault(kv => kv.Key == key).Value ?? throw new InvalidDataException($"the weights have no {key}");
        return Replace(list, key, runningMean.to_type(ScalarType.Float32) - offset);
    }

    static List<KeyValuePair<string, Tensor>> Replace(List<KeyValuePair<string, Tensor>> list, string key, Tensor value) =>
        list.Select(kv => kv.Key == key ? new KeyValuePair<string, Tensor>(key, value) : kv).ToList();
}
