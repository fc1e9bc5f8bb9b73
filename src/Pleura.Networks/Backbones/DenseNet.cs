using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pleura.Networks.Backbones;

/// <summary>
/// DenseNet-121 (Huang et al. 2017), CheXNet's architecture, with torchvision's names: <c>features</c> (conv0, norm0,
/// relu0, pool0, denseblock1..4 with transition1..3, norm5) and <c>classifier</c>. Each dense layer is
/// BN-ReLU-1x1 conv (4 x growth) - BN-ReLU-3x3 conv (growth) on the concatenation of all earlier outputs.
/// </summary>
public sealed class DenseNet : Module<Tensor, Tensor>, IStagedNetwork
{
    readonly Sequential features;
    readonly Linear classifier;

    public int FeatureCount { get; }

    public DenseNet(string name, int growth, int[] blocks, int initFeatures, int numClasses, int bnSize = 4, int inChannels = 3) : base(name)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("conv0", Conv2d(inChannels, initFeatures, kernel_size: 7, stride: 2, padding: 3, bias: false)),
            ("norm0", BatchNorm2d(initFeatures)),
            ("relu0", ReLU(inplace: true)),
            ("pool0", MaxPool2d(kernel_size: 3, stride: 2, padding: 1)),
        };
        long channels = initFeatures;
        for (int b = 0; b < blocks.Length; b++)
        {
            layers.Add(($"denseblock{b + 1}", new DenseBlock(blocks[b], channels, bnSize, growth)));
            channels += blocks[b] * growth;
            if (b != blocks.Length - 1)
            {
                layers.Add(($"transition{b + 1}", new Transition(channels, channels / 2)));
                channels /= 2;
            }
        }
        layers.Add(("norm5", BatchNorm2d(channels)));
        features = Sequential(layers);
        FeatureCount = (int)channels;
        classifier = Linear(channels, numClasses);
        RegisterComponents();
    }

    public static DenseNet DenseNet121(int numClasses, int inChannels = 3) => new("densenet121", 32, new[] { 6, 12, 24, 16 }, 64, numClasses, 4, inChannels);

    /// <summary>Output of <c>features.norm5</c> (before the final ReLU): the Grad-CAM target of the fixtures.</summary>
    public Tensor FeatureMaps(Tensor x) => features.call(x);

    /// <summary>Each child of <c>features</c> (stem layers, dense blocks, transitions, norm5), the pool, the classifier.</summary>
    public IReadOnlyList<NetworkStage> Stages
    {
        get
        {
            var stages = new List<NetworkStage>();
            foreach (var (name, child) in features.named_children())
            {
                var module = (Module<Tensor, Tensor>)child;
                stages.Add(new($"features.{name}", new[] { $"features.{name}." }, x => module.call(x)));
            }
            stages.Add(new("pool", Array.Empty<string>(), x => functional.adaptive_avg_pool2d(functional.relu(x), new long[] { 1, 1 }).flatten(1)));
            stages.Add(new("classifier", new[] { "classifier." }, x => classifier.call(x.to_type(classifier.weight!.dtype))));
            return stages;
        }
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // In place, as torchvision does: a Grad-CAM hook on features.norm5 then sees the activations after this ReLU, as in PyTorch.
        var y = functional.relu(features.call(x), inplace: true);
        y = functional.adaptive_avg_pool2d(y, new long[] { 1, 1 }).flatten(1);
        return classifier.call(y.to_type(classifier.weight!.dtype)).MoveToOuterDisposeScope();
    }
}

internal sealed class DenseLayer : Module<Tensor, Tensor>
{
    // torchvision's order: norm1, relu1, conv1, norm2, relu2, conv2.
    readonly BatchNorm2d norm1;
    readonly ReLU relu1;
    readonly Conv2d conv1;
    readonly BatchNorm2d norm2;
    readonly ReLU relu2;
    readonly Conv2d conv2;

    public DenseLayer(long inputs, int growth, int bnSize) : base("DenseLayer")
    {
        norm1 = BatchNorm2d(inputs);
        relu1 = ReLU(inplace: true);
        conv1 = Conv2d(inputs, bnSize * growth, kernel_size: 1, bias: false);
        norm2 = BatchNorm2d(bnSize * growth);
        relu2 = ReLU(inplace: true);
        conv2 = Conv2d(bnSize * growth, growth, kernel_size: 3, padding: 1, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor concatenated)
    {
        using var scope = NewDisposeScope();
        var y = conv1.call(relu1.call(norm1.call(concatenated)));
        return conv2.call(relu2.call(norm2.call(y))).MoveToOuterDisposeScope();
    }
}

/// <summary>A dense block: every layer sees the concatenation of the block input and all earlier layers' outputs.</summary>
internal sealed class DenseBlock : Module<Tensor, Tensor>
{
    readonly List<DenseLayer> _layers = new();

    public DenseBlock(int count, long inputs, int bnSize, int growth) : base("DenseBlock")
    {
        for (int i = 0; i < count; i++)
        {
            var layer = new DenseLayer(inputs + i * growth, growth, bnSize);
            _layers.Add(layer);
            register_module($"denselayer{i + 1}", layer);
        }
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var outputs = new List<Tensor> { x };
        foreach (var layer in _layers) outputs.Add(layer.call(cat(outputs, 1)));
        return cat(outputs, 1).MoveToOuterDisposeScope();
    }
}

internal sealed class Transition : Module<Tensor, Tensor>
{
    readonly BatchNorm2d norm;
    readonly ReLU relu;
    readonly Conv2d conv;
    readonly AvgPool2d pool;

    public Transition(long inputs, long outputs) : base("Transition")
    {
        norm = BatchNorm2d(inputs);
        relu = ReLU(inplace: true);
        conv = Conv2d(inputs, outputs, kernel_size: 1, bias: false);
        pool = AvgPool2d(kernel_size: 2, stride: 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return pool.call(conv.call(relu.call(norm.call(x)))).MoveToOuterDisposeScope();
    }
}
