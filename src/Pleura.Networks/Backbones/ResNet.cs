using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pleura.Networks.Backbones;

/// <summary>
/// ResNet-18/34/50 (He et al. 2016; torchvision's v1.5 with the stride on the 3x3 convolution of bottlenecks).
/// Module and parameter names equal torchvision's, so torchvision and timm state dicts load unchanged.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>, IStagedNetwork
{
    // Field names are the state-dict names, declared in torchvision's order: RegisterComponents uses both.
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly ReLU relu;
    readonly MaxPool2d maxpool;
    readonly Sequential layer1;
    readonly Sequential layer2;
    readonly Sequential layer3;
    readonly Sequential layer4;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Linear fc;

    public int FeatureCount { get; }

    /// <param name="width">Channels of the first stage (torchvision: 64); smaller widths make fast small models.</param>
    /// <param name="inChannels">3 for RGB-shaped input (grey replicated), 1 for grey input with summed conv1 kernels.</param>
    /// <param name="headOnLayer3">The head reads layer3's pooled features beside layer4's (concatenated): mid-level
    /// texture that a frozen read-out of layer4 alone misses (measured on BrixIA: a ridge read-out of both beat layer4's).</param>
    public ResNet(string name, bool bottleneck, int[] blocks, int numClasses, int width = 64, int inChannels = 3, bool headOnLayer3 = false) : base(name)
    {
        HeadOnLayer3 = headOnLayer3;
        if (blocks.Length != 4 || blocks.Any(b => b < 1)) throw new ArgumentException("a ResNet has four stages of at least one block", nameof(blocks));
        Blocks = blocks.ToArray();
        int expansion = bottleneck ? 4 : 1;
        Bottlenecked = bottleneck;
        conv1 = Conv2d(inChannels, width, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(width);
        relu = ReLU(inplace: true);
        maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        long inplanes = width;
        Sequential Layer(long planes, int count, long stride)
        {
            var list = new List<(string, Module<Tensor, Tensor>)>();
            for (int i = 0; i < count; i++)
            {
                long s = i == 0 ? stride : 1;
                Module<Tensor, Tensor> block = bottleneck
                    ? new Bottleneck(inplanes, planes, s)
                    : new BasicBlock(inplanes, planes, s);
                list.Add((i.ToString(), block));
                inplanes = planes * expansion;
            }
            return Sequential(list);
        }
        layer1 = Layer(width, blocks[0], 1);
        layer2 = Layer(width * 2, blocks[1], 2);
        layer3 = Layer(width * 4, blocks[2], 2);
        layer4 = Layer(width * 8, blocks[3], 2);
        avgpool = AdaptiveAvgPool2d(new long[] { 1, 1 });
        FeatureCount = (width * 8 + (headOnLayer3 ? width * 4 : 0)) * expansion;
        fc = Linear(FeatureCount, numClasses);
        RegisterComponents();
    }

    public bool Bottlenecked { get; }

    /// <summary>Whether the head reads layer3's pooled features too (before layer4's, concatenated).</summary>
    public bool HeadOnLayer3 { get; }

    /// <summary>Residual blocks per stage (ResNet-18: 2, 2, 2, 2).</summary>
    public IReadOnlyList<int> Blocks { get; }

    public static ResNet ResNet18(int numClasses, int inChannels = 3) => new("resnet18", false, new[] { 2, 2, 2, 2 }, numClasses, 64, inChannels);
    public static ResNet ResNet34(int numClasses, int inChannels = 3) => new("resnet34", false, new[] { 3, 4, 6, 3 }, numClasses, 64, inChannels);
    public static ResNet ResNet50(int numClasses, int inChannels = 3) => new("resnet50", true, new[] { 3, 4, 6, 3 }, numClasses, 64, inChannels);

    /// <summary>Everything before the classifier: the pooled feature vector (N x FeatureCount).</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (!HeadOnLayer3) return avgpool.call(FeatureMaps(x)).flatten(1).MoveToOuterDisposeScope();
        var maps = EncoderFeatures(x);
        return Pooled(maps[3], maps[4]).MoveToOuterDisposeScope();
    }

    /// <summary>layer3's and layer4's pooled features, concatenated (the head's input with <see cref="HeadOnLayer3"/>).</summary>
    Tensor Pooled(Tensor layer3Maps, Tensor layer4Maps) =>
        cat(new[] { avgpool.call(layer3Maps).flatten(1), avgpool.call(layer4Maps).flatten(1).to_type(layer3Maps.dtype) }, 1);

    /// <summary>The last convolutional block's output (N x C x h x w), the usual Grad-CAM target.</summary>
    public Tensor FeatureMaps(Tensor x)
    {
        using var scope = NewDisposeScope();
        return EncoderFeatures(x)[4].MoveToOuterDisposeScope();
    }

    public Linear Head => fc;

    /// <summary>The encoder pyramid a U-Net needs: features at strides 2 (after conv1's ReLU), 4, 8, 16 and 32.</summary>
    public Tensor[] EncoderFeatures(Tensor x)
    {
        var stem = relu.call(bn1.call(conv1.call(x)));
        var features = new List<Tensor> { stem };
        var y = maxpool.call(stem);
        // Each stage takes its input in its own convolutions' dtype: with Precision's float32 stem and bfloat16
        // stages the first cast converts; for a single-dtype network the casts are no-ops.
        foreach (var stage in new[] { layer1, layer2, layer3, layer4 })
        {
            y = stage.call(y.to_type(StageType(stage)));
            features.Add(y);
        }
        return features.ToArray();
    }

    /// <summary>Stem, each residual block, pooling, head: the cut points for frozen-prefix caching.</summary>
    public IReadOnlyList<NetworkStage> Stages
    {
        get
        {
            var stages = new List<NetworkStage> { new("stem", new[] { "conv1.", "bn1." }, x => maxpool.call(relu.call(bn1.call(conv1.call(x))))) };
            foreach (var (name, layer) in new[] { ("layer1", layer1), ("layer2", layer2), ("layer3", layer3), ("layer4", layer4) })
            {
                // With a head on layer3 too, layer4 and the pooling are one stage: the chain passes one tensor, and
                // layer3's maps must reach the head beside layer4's.
                if (HeadOnLayer3 && name == "layer4") break;
                foreach (var (index, block) in layer.named_children())
                {
                    var module = (Module<Tensor, Tensor>)block;
                    stages.Add(new($"{name}.{index}", new[] { $"{name}.{index}." }, x => module.call(x.to_type(StageType(layer)))));
                }
            }
            if (HeadOnLayer3) stages.Add(new("layer4+avgpool", new[] { "layer4." }, x => Pooled(x, layer4.call(x.to_type(StageType(layer4))))));
            else stages.Add(new("avgpool", Array.Empty<string>(), x => avgpool.call(x).flatten(1)));
            stages.Add(new("fc", new[] { "fc." }, x => fc.call(x.to_type(fc.weight!.dtype))));
            return stages;
        }
    }

    static ScalarType StageType(Sequential stage) => stage.parameters().First().dtype;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // The head runs in its own dtype, so a network whose convolutions run in bfloat16 can keep a float32 head.
        return fc.call(Features(x).to_type(fc.weight!.dtype)).MoveToOuterDisposeScope();
    }
}

/// <summary>Two 3x3 convolutions with an identity (or 1x1 projection) shortcut.</summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>
{
    // Declared in torchvision's order: RegisterComponents registers fields in declaration order.
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly ReLU relu;
    readonly Sequential? downsample;

    public BasicBlock(long inplanes, long planes, long stride) : base("BasicBlock")
    {
        conv1 = Conv2d(inplanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        if (stride != 1 || inplanes != planes)
            downsample = Sequential(("0", Conv2d(inplanes, planes, kernel_size: 1, stride: stride, bias: false)), ("1", BatchNorm2d(planes)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.call(x);
        var y = relu.call(bn1.call(conv1.call(x)));
        y = bn2.call(conv2.call(y));
        return relu.call(y.add_(identity)).MoveToOuterDisposeScope();
    }
}

/// <summary>1x1 reduce, 3x3 (strided), 1x1 expand by 4, with a shortcut.</summary>
internal sealed class Bottleneck : Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Conv2d conv3;
    readonly BatchNorm2d bn3;
    readonly ReLU relu;
    readonly Sequential? downsample;

    public Bottleneck(long inplanes, long planes, long stride) : base("Bottleneck")
    {
        conv1 = Conv2d(inplanes, planes, kernel_size: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        conv3 = Conv2d(planes, planes * 4, kernel_size: 1, bias: false);
        bn3 = BatchNorm2d(planes * 4);
        relu = ReLU(inplace: true);
        if (stride != 1 || inplanes != planes * 4)
            downsample = Sequential(("0", Conv2d(inplanes, planes * 4, kernel_size: 1, stride: stride, bias: false)), ("1", BatchNorm2d(planes * 4)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.call(x);
        var y = relu.call(bn1.call(conv1.call(x)));
        y = relu.call(bn2.call(conv2.call(y)));
        y = bn3.call(conv3.call(y));
        return relu.call(y.add_(identity)).MoveToOuterDisposeScope();
    }
}
