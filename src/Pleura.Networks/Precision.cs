using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Networks;

/// <summary>The arithmetic a network's convolutions train in (<c>--precision</c>).</summary>
public enum ArithmeticPrecision
{
    /// <summary>float32 throughout (the default).</summary>
    Fp32,
    /// <summary>Convolutions after the stem in bfloat16 on float32 master weights (<see cref="Precision.TrainConvolutionsInBFloat16"/>).</summary>
    Bf16,
}

/// <summary>Lower-precision inference and training on CPU.</summary>
public static class Precision
{

    /// <summary>
    /// Runs the convolutions in bfloat16 (the bulk of the arithmetic, where AVX-512 BF16 pays) except the stem, the
    /// first convolution, which sees the raw image; batch-norm and the classifier keep float32 parameters. Measured on
    /// the demo's OOB set: with the stem in bfloat16 too, probabilities moved by up to 0.029; with it in float32, by
    /// at most 0.005 (grades identical), at the cost of one convolution of one or three input channels.
    /// Each convolution casts its input to its own dtype, so layers of both kinds can follow each other.
    /// </summary>
    public static void ConvolutionsToBFloat16(nn.Module model)
    {
        foreach (var conv in AfterStem(model))
        {
            conv.to(ScalarType.BFloat16);
            conv.register_forward_pre_hook((module, input) => input.dtype == ScalarType.BFloat16 ? input : input.to_type(ScalarType.BFloat16));
        }
    }

    /// <summary>
    /// Mixed-precision training (<c>--precision bf16</c>): the same convolutions as <see cref="ConvolutionsToBFloat16"/>
    /// compute in bfloat16, but every parameter stays a float32 master weight, so the optimizer, the state dict and
    /// checkpoints are unchanged. Each such convolution casts its input and a bfloat16 copy of its weight on every call;
    /// autograd carries the gradient back through that cast, so the weight's gradient arrives in float32. Batch-norm
    /// (float32 parameters and statistics on bfloat16 activations) and the head stay float32. No loss scaling: bfloat16
    /// has float32's exponent range, so gradients do not underflow as they would in float16.
    /// </summary>
    /// <remarks>
    /// TorchSharp's Conv2d is sealed and computes with its own parameter, and it has no autocast on CPU; so a pre-hook
    /// takes the real input aside and hands the module an empty batch (a free call), and the forward hook returns the
    /// bfloat16 convolution of the real input instead. Modules, parameter names and hooks of others are untouched.
    /// </remarks>
    public static void TrainConvolutionsInBFloat16(nn.Module model)
    {
        foreach (var conv in AfterStem(model))
        {
            // Pleura's networks pad explicitly with zeros; a convolution already in bfloat16 or converted before is left alone.
            if (conv.padding is not { } padding || conv.padding_mode != PaddingModes.Zeros || conv.weight.dtype != ScalarType.Float32) continue;
            if (Converted.TryGetValue(conv, out _)) continue;
            Converted.Add(conv, padding);
            conv.register_forward_pre_hook((_, input) =>
            {
                _pending = input;
                // Empty, and in the module's own float32: a convolution with a bias (VGG) checks the input's dtype against it.
                return input.narrow(0, 0, 0).to_type(ScalarType.Float32);
            });
            conv.register_forward_hook((module, _, _) =>
            {
                var input = _pending ?? throw new InvalidOperationException("bfloat16 convolution called without its input");
                _pending = null;
                var c = (Conv2d)module;
                using var weight = c.weight.to_type(ScalarType.BFloat16);
                using var bias = c.bias?.to_type(ScalarType.BFloat16);
                return F.conv2d(input.to_type(ScalarType.BFloat16), weight, bias, c.stride, padding, c.dilation, c.groups);
            });
        }
    }

    // The input a convolution's pre-hook set aside for its forward hook. Nothing runs between the two (a Conv2d has no
    // children), so one slot per thread is enough.
    [ThreadStatic] static Tensor? _pending;

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Conv2d, object> Converted = new();

    // An ensemble's members each have their own stem.
    static IEnumerable<Conv2d> AfterStem(nn.Module model) => model is EnsembleNetwork ensemble
        ? ensemble.Members.SelectMany(AfterStem).ToList()
        : ModuleTree.DepthFirst(model).Where(m => m.Module is Conv2d).Select(m => (Conv2d)m.Module).Skip(1).ToList();
}
