using Pleura.Networks.Backbones;
using TorchSharp.Modules;
using static Pleura.Networks.Export.OnnxLayers;
using static TorchSharp.torch;

namespace Pleura.Networks.Export;

/// <summary>ResNet (basic and bottleneck blocks) as ONNX, following <see cref="ResNet.forward"/>.</summary>
public static class ResNetOnnx
{
    public static OnnxValue Emit(OnnxGraph g, ResNet net, OnnxValue x)
    {
        ExpectChildren(net, "", "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc");
        x = Conv(g, "conv1", Child<Conv2d>(net, "", "conv1"), x);
        x = Relu(g, "bn1", BatchNorm(g, "bn1", Child<BatchNorm2d>(net, "", "bn1"), x));
        x = MaxPool(g, "maxpool", Child<MaxPool2d>(net, "", "maxpool"), x);
        OnnxValue? layer3 = null;
        foreach (var stage in new[] { "layer1", "layer2", "layer3", "layer4" })
        {
            x = Sequence(g, stage, Child<Sequential>(net, "", stage), x, Block);
            if (stage == "layer3") layer3 = x;
        }
        var pool = Child<AdaptiveAvgPool2d>(net, "", "avgpool");
        x = Flatten(g, "avgpool", AdaptiveAvgPool(g, "avgpool", pool, x));
        if (net.HeadOnLayer3)
        {
            // The head reads layer3's pooled features, then layer4's (ResNet.Pooled).
            var pooled3 = Flatten(g, "avgpool.layer3", AdaptiveAvgPool(g, "avgpool.layer3", pool, layer3!));
            x = new OnnxValue(g.Node("Concat", "avgpool.concat", new[] { pooled3.Name, x.Name }, OnnxGraph.Int("axis", 1)), new[] { pooled3.Shape[0] + x.Shape[0] });
        }
        return Linear(g, "fc", Child<Linear>(net, "", "fc"), x);
    }

    static OnnxValue? Block(OnnxGraph g, string path, nn.Module module, OnnxValue x) => module switch
    {
        BasicBlock block => Residual(g, path, block, x, 2),
        Bottleneck block => Residual(g, path, block, x, 3),
        _ => null,
    };

    /// <summary>conv-bn(-relu) <paramref name="convolutions"/> times (no ReLU after the last), plus the shortcut, then ReLU.</summary>
    static OnnxValue Residual(OnnxGraph g, string path, nn.Module block, OnnxValue x, int convolutions)
    {
        var names = Enumerable.Range(1, convolutions).SelectMany(i => new[] { $"conv{i}", $"bn{i}" }).Concat(new[] { "relu", "downsample" }).ToArray();
        ExpectChildren(block, path, names);
        var shortcut = TryChild<Sequential>(block, path, "downsample") is { } downsample ? Sequence(g, path + ".downsample", downsample, x) : x;
        var y = x;
        for (int i = 1; i <= convolutions; i++)
        {
            y = Conv(g, $"{path}.conv{i}", Child<Conv2d>(block, path, $"conv{i}"), y);
            y = BatchNorm(g, $"{path}.bn{i}", Child<BatchNorm2d>(block, path, $"bn{i}"), y);
            if (i < convolutions) y = Relu(g, $"{path}.bn{i}", y);
        }
        return Relu(g, path, Add(g, path, y, shortcut));
    }
}
