using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>
/// Grey radiographs into networks made for RGB: either replicate the grey channel three times, or give the first
/// convolution one input channel whose kernel is the sum of the RGB kernels. The two are the same function
/// (conv(replicate(x), W) = conv(x, sum_c W_c)); the second costs a third of the first layer's arithmetic.
/// </summary>
public static class GreyInput
{
    /// <summary>Sums the input-channel axis of <paramref name="firstConvKey"/> where the model expects one channel.</summary>
    public static List<KeyValuePair<string, Tensor>> AdaptFirstConvolution(IEnumerable<KeyValuePair<string, Tensor>> weights, nn.Module model, string firstConvKey = "conv1.weight")
    {
        var target = StateDicts.Ordered(model).FirstOrDefault(kv => kv.Key == firstConvKey).Value;
        return weights.Select(kv =>
            kv.Key == firstConvKey && target is not null && target.shape[1] == 1 && kv.Value.shape[1] == 3
                ? new KeyValuePair<string, Tensor>(kv.Key, kv.Value.to_type(ScalarType.Float32).sum(1, keepdim: true))
                : kv).ToList();
    }
}
