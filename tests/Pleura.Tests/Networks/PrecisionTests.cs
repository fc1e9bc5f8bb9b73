using Pleura.Networks;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

public class PrecisionTests
{
    [Theory]
    [InlineData("resnet10-w16", 1)]
    [InlineData("resnet18", 3)]
    [InlineData("vgg16", 3)]
    [InlineData("densenet121", 3)]
    public void BFloat16ConvolutionsKeepProbabilitiesClose(string arch, int channels)
    {
        using var scope = NewDisposeScope();
        var model = SeededInit.Create(2, () => Architectures.Get(arch).Create(4, channels));
        model.eval();
        var x = rand(2, 1, 64, 64);
        var fp32 = Inference.Probabilities(model, x, channels);
        Precision.ConvolutionsToBFloat16(model);
        Assert.Equal(ScalarType.Float32, model.parameters().First().dtype); // the stem stays float32
        var bf16 = Inference.Probabilities(model, x, channels);
        double worst = fp32.Zip(bf16).Max(p => p.First.Zip(p.Second).Max(v => Math.Abs(v.First - v.Second)));
        Assert.True(worst < 0.02, $"{arch}: probabilities moved by {worst}");
    }
}
