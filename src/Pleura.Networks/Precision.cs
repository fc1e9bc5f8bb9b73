using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Networks;

/// <summary>Lower-precision inference on CPU.</summary>
public static class Precision
{
    /// <summary>
    /// Runs the convolutions in bfloat16 (the bulk of the arithmetic, where AVX-512 BF16 pays) while batch-norm and the
    /// classifier head keep float32 parameters, which holds the probabilities closer to float32 than converting the
    /// whole network.
    /// </summary>
    public static void ConvolutionsToBFloat16(nn.Module model)
    {
        foreach (var (_, module) in ModuleTree.DepthFirst(model))
            if (module is Conv2d) module.to(ScalarType.BFloat16);
    }
}
