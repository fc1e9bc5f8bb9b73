using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pleura.Networks.Backbones;

/// <summary>
/// VGG-16 (Simonyan and Zisserman 2015), torchvision's layout and names: <c>features</c> (13 3x3 convolutions with ReLU,
/// five max-pools), a 7x7 adaptive average pool, and <c>classifier</c> (4096-4096-K with ReLU and dropout).
/// </summary>
public sealed class Vgg : Module<Tensor, Tensor>, IStagedNetwork
{
    static readonly int[] Vgg16Config = { 64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1 };

    readonly Sequential features;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Sequential classifier;

    public Vgg(string name, int[] config, int numClasses, int inChannels = 3) : base(name)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        long channels = inChannels;
        foreach (int c in config)
        {
            if (c < 0) layers.Add((layers.Count.ToString(), MaxPool2d(kernel_size: 2, stride: 2)));
            else
            {
                layers.Add((layers.Count.ToString(), Conv2d(channels, c, kernel_size: 3, padding: 1)));
                layers.Add((layers.Count.ToString(), ReLU(inplace: true)));
                channels = c;
            }
        }
        features = Sequential(layers);
        avgpool = AdaptiveAvgPool2d(new long[] { 7, 7 });
        classifier = Sequential(
            ("0", Linear(channels * 49, 4096)), ("1", ReLU(inplace: true)), ("2", Dropout(0.5)),
            ("3", Linear(4096, 4096)), ("4", ReLU(inplace: true)), ("5", Dropout(0.5)),
            ("6", Linear(4096, numClasses)));
        RegisterComponents();
    }

    public static Vgg Vgg16(int numClasses, int inChannels = 3) => new("vgg16", Vgg16Config, numClasses, inChannels);

    /// <summary>The convolutional trunk's output (N x 512 x h x w): the Grad-CAM target and the fixture's features sum.</summary>
    public Tensor Features(Tensor x) => features.call(x);

    /// <summary>Each layer of <c>features</c>, the pool, each layer of <c>classifier</c> (the dropouts marked stochastic).</summary>
    public IReadOnlyList<NetworkStage> Stages
    {
        get
        {
            var stages = new List<NetworkStage>();
            foreach (var (prefix, sequence) in new[] { ("features", features), ("classifier", classifier) })
            {
                if (prefix == "classifier") stages.Add(new("avgpool", Array.Empty<string>(), x => avgpool.call(x).flatten(1)));
                foreach (var (index, child) in sequence.named_children())
                {
                    var module = (Module<Tensor, Tensor>)child;
                    stages.Add(new($"{prefix}.{index}", new[] { $"{prefix}.{index}." }, x => module.call(x), module is Dropout));
                }
            }
            return stages;
        }
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pooled = avgpool.call(features.call(x)).flatten(1);
        var head = (Linear)classifier[6];
        return classifier.call(pooled.to_type(head.weight!.dtype)).MoveToOuterDisposeScope();
    }
}
