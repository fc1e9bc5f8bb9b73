using static TorchSharp.torch;

namespace Pleura.Networks;

/// <summary>Class probabilities for a batch of grey images with a trained classifier.</summary>
public static class Inference
{
    /// <param name="images">N x 1 x S x S grey images in [0, 1].</param>
    /// <param name="inputChannels">3 replicates the grey channel; 1 feeds it as is.</param>
    /// <param name="recipe">How the weights expect their pixels (default: grey in [0, 1]).</param>
    /// <remarks>Input follows the model's parameter dtype, so a model converted with <c>model.to(ScalarType.BFloat16)</c>
    /// runs in bfloat16 (faster on CPUs with AVX-512 BF16); probabilities are always returned as float32.</remarks>
    public static float[][] Probabilities(nn.Module<Tensor, Tensor> model, Tensor images, int inputChannels, InputRecipe? recipe = null, int batchSize = 32)
    {
        var precision = model.parameters().First().dtype; // the first layer's dtype: the network's input dtype
        model.eval();
        using var _ = no_grad();
        long n = images.shape[0];
        var result = new float[n][];
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(batchSize, n - start);
            var x = images.narrow(0, start, count);
            var logits = model.call((recipe ?? InputRecipe.UnitGrey).Feed(x, inputChannels).to_type(precision));
            var probabilities = nn.functional.softmax(logits.to_type(ScalarType.Float32), 1).data<float>().ToArray();
            int k = (int)logits.shape[1];
            for (int i = 0; i < count; i++) result[start + i] = probabilities.AsSpan(i * k, k).ToArray();
        }
        return result;
    }
}
