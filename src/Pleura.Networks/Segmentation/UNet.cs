using Pleura.Networks.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pleura.Networks.Segmentation;

/// <summary>Two 3x3 convolutions, each with batch-norm and ReLU: the U-Net's basic block.</summary>
internal sealed class DoubleConv : Module<Tensor, Tensor>
{
    readonly Sequential block;

    public DoubleConv(long inputs, long outputs) : base("DoubleConv")
    {
        block = Sequential(
            ("0", Conv2d(inputs, outputs, kernel_size: 3, padding: 1, bias: false)), ("1", BatchNorm2d(outputs)), ("2", ReLU(inplace: true)),
            ("3", Conv2d(outputs, outputs, kernel_size: 3, padding: 1, bias: false)), ("4", BatchNorm2d(outputs)), ("5", ReLU(inplace: true)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => block.call(x);
}

/// <summary>
/// The classic U-Net (Ronneberger et al. 2015) with batch-norm and padded convolutions, so the output has the input's
/// size: four down steps (max-pool, double conv), four up steps (2x2 transposed conv, concatenation with the skip,
/// double conv) and a 1x1 head with one output channel per structure. Input sides must be multiples of 16.
/// </summary>
public sealed class UNet : Module<Tensor, Tensor>
{
    readonly DoubleConv inc;
    readonly ModuleList<DoubleConv> down;
    readonly ModuleList<ConvTranspose2d> up;
    readonly ModuleList<DoubleConv> decode;
    readonly Conv2d head;

    public UNet(int inChannels, int outChannels, int width = 64) : base("unet")
    {
        var widths = Enumerable.Range(0, 5).Select(i => (long)width << i).ToArray();
        inc = new DoubleConv(inChannels, widths[0]);
        down = new ModuleList<DoubleConv>(Enumerable.Range(1, 4).Select(i => new DoubleConv(widths[i - 1], widths[i])).ToArray());
        up = new ModuleList<ConvTranspose2d>(Enumerable.Range(1, 4).Reverse().Select(i => ConvTranspose2d(widths[i], widths[i - 1], kernel_size: 2, stride: 2)).ToArray());
        decode = new ModuleList<DoubleConv>(Enumerable.Range(1, 4).Reverse().Select(i => new DoubleConv(widths[i], widths[i - 1])).ToArray());
        head = Conv2d(widths[0], outChannels, kernel_size: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (x.shape[2] % 16 != 0 || x.shape[3] % 16 != 0) throw new ArgumentException($"U-Net input sides must be multiples of 16, got {x.shape[2]}x{x.shape[3]}");
        var skips = new List<Tensor> { inc.call(x) };
        foreach (var d in down) skips.Add(d.call(functional.max_pool2d(skips[^1], 2)));
        var y = skips[^1];
        for (int i = 0; i < 4; i++) y = decode[i].call(cat(new[] { skips[3 - i], up[i].call(y) }, 1));
        return head.call(y).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A U-Net whose encoder is a torchvision ResNet (18 or 34): its parameters sit under <c>encoder.</c> with
/// torchvision's names, so ImageNet or CXR-pretrained ResNet weights load into it (<see cref="EncoderPrefix"/>).
/// The decoder upsamples by two five times, concatenating the encoder's features at strides 16, 8, 4 and 2.
/// Input sides must be multiples of 32.
/// </summary>
public sealed class ResNetUNet : Module<Tensor, Tensor>
{
    public const string EncoderPrefix = "encoder.";

    readonly ResNet encoder;
    readonly ModuleList<DoubleConv> decoder;
    readonly Conv2d head;

    public ResNetUNet(string encoderArchitecture, int inChannels, int outChannels) : base("resnet-unet")
    {
        encoder = encoderArchitecture switch
        {
            "resnet18" => ResNet.ResNet18(1, inChannels),
            "resnet34" => ResNet.ResNet34(1, inChannels),
            "resnet18-cntk" => (ResNet)Architectures.Get("resnet18-cntk").Create(1, inChannels),
            _ => throw new ArgumentException($"the U-Net encoder must be resnet18, resnet34 or resnet18-cntk, not '{encoderArchitecture}'"),
        };
        // Encoder channels at strides 32, 16, 8, 4, 2 and the decoder's widths after each upsampling.
        long[] skips = { 256, 128, 64, 64, 0 };
        long[] widths = { 256, 128, 64, 32, 16 };
        long inputs = 512;
        var blocks = new List<DoubleConv>();
        for (int i = 0; i < 5; i++)
        {
            blocks.Add(new DoubleConv(inputs + skips[i], widths[i]));
            inputs = widths[i];
        }
        decoder = new ModuleList<DoubleConv>(blocks.ToArray());
        head = Conv2d(widths[^1], outChannels, kernel_size: 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>The encoder, for loading pretrained backbone weights into it.</summary>
    public ResNet Encoder => encoder;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (x.shape[2] % 32 != 0 || x.shape[3] % 32 != 0) throw new ArgumentException($"ResNet U-Net input sides must be multiples of 32, got {x.shape[2]}x{x.shape[3]}");
        var features = encoder.EncoderFeatures(x); // strides 2, 4, 8, 16, 32
        var y = features[4];
        for (int i = 0; i < 5; i++)
        {
            y = functional.interpolate(y, scale_factor: new double[] { 2, 2 }, mode: InterpolationMode.Nearest);
            if (i < 4) y = cat(new[] { y, features[3 - i] }, 1);
            y = decoder[i].call(y);
        }
        return head.call(y).MoveToOuterDisposeScope();
    }
}
