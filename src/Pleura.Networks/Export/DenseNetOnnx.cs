using Pleura.Networks.Backbones;
using TorchSharp.Modules;
using static Pleura.Networks.Export.OnnxLayers;
using static TorchSharp.torch;

namespace Pleura.Networks.Export;

/// <summary>DenseNet as ONNX, following <see cref="DenseNet.forward"/>: features, ReLU, global average, classifier.</summary>
public static class DenseNetOnnx
{
    public static OnnxValue Emit(OnnxGraph g, DenseNet net, OnnxValue x)
    {
        ExpectChildren(net, "", "features", "classifier");
        x = Relu(g, "features", Sequence(g, "features", Child<Sequential>(net, "", "features"), x, Block));
        x = new(g.Node("GlobalAveragePool", "pool", new[] { x.Name }), new[] { x.Channels, 1L, 1L });
        return Linear(g, "classifier", Child<Linear>(net, "", "classifier"), Flatten(g, "pool", x));
    }

    static OnnxValue? Block(OnnxGraph g, string path, nn.Module module, OnnxValue x) => module switch
    {
        DenseBlock block => Dense(g, path, block, x),
        Transition transition => TransitionLayer(g, path, transition, x),
        _ => null,
    };

    /// <summary>Every layer sees the concatenation of the block input and all earlier layers' outputs.</summary>
    static OnnxValue Dense(OnnxGraph g, string path, DenseBlock block, OnnxValue x)
    {
        var outputs = new List<OnnxValue> { x };
        foreach (var (name, child) in block.named_children())
        {
            var layerPath = $"{path}.{name}";
            if (child is not DenseLayer layer) throw Unsupported(layerPath, $"({child.GetType().Name}) is a piece the dense-block exporter does not know");
            outputs.Add(Layer(g, layerPath, layer, Concat(g, layerPath, outputs)));
        }
        return Concat(g, path, outputs);
    }

    /// <summary>BN-ReLU-1x1 conv, BN-ReLU-3x3 conv.</summary>
    static OnnxValue Layer(OnnxGraph g, string path, DenseLayer layer, OnnxValue x)
    {
        ExpectChildren(layer, path, "norm1", "relu1", "conv1", "norm2", "relu2", "conv2");
        foreach (var i in new[] { 1, 2 })
        {
            x = Relu(g, $"{path}.norm{i}", BatchNorm(g, $"{path}.norm{i}", Child<BatchNorm2d>(layer, path, $"norm{i}"), x));
            x = Conv(g, $"{path}.conv{i}", Child<Conv2d>(layer, path, $"conv{i}"), x);
        }
        return x;
    }

    static OnnxValue TransitionLayer(OnnxGraph g, string path, Transition transition, OnnxValue x)
    {
        ExpectChildren(transition, path, "norm", "relu", "conv", "pool");
        x = Relu(g, $"{path}.norm", BatchNorm(g, $"{path}.norm", Child<BatchNorm2d>(transition, path, "norm"), x));
        x = Conv(g, $"{path}.conv", Child<Conv2d>(transition, path, "conv"), x);
        return AvgPool(g, $"{path}.pool", Child<AvgPool2d>(transition, path, "pool"), x);
    }
}
