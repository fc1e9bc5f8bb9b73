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
    public static List<KeyValuePair<string, Tensor>> AdaptFirstConvolution(IEnumerable<KeyValuePair<string, Tensor>> weights, nn.Module model, string firstConvKey = "conv1.weight")
    {
        var target = StateDicts.Ordered(model).FirstOrDefault(kv => kv.Key == firstConvKey).Value;
        return weights.Select(kv =>
        {
            if (kv.Key != firstConvKey || target is null || kv.Value.dim() != 4) return kv;
            var w = kv.Value.to_type(ScalarType.Float32);
            if (target.shape[1] == 1 && w.shape[1] == 3) return new KeyValuePair<string, Tensor>(kv.Key, w.sum(1, keepdim: true));
            // A grey (one-channel) source into an RGB-shaped model: a third of the kernel per channel, so replicated grey input
            // gives the source's output exactly.
            if (target.shape[1] == 3 && w.shape[1] == 1) return new KeyValuePair<string, Tensor>(kv.Key, w.expand(-1, 3, -1, -1).div(3).contiguous());
            return kv;
        }).ToList();
    }
}
