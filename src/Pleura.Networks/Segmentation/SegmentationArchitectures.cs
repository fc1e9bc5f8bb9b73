using static TorchSharp.torch;

namespace Pleura.Networks.Segmentation;

/// <summary>Segmentation networks by name: <c>unet-wN</c> (classic U-Net, first stage N channels) or <c>resnet18-unet</c> / <c>resnet34-unet</c>.</summary>
public static class SegmentationArchitectures
{
    public static readonly IReadOnlyList<string> Names = new[] { "unet-w16", "unet-w32", "unet-w64", "resnet18-unet", "resnet34-unet", "resnet18-cntk-unet" };

    public static nn.Module<Tensor, Tensor> Create(string name, int inChannels, int structures) => name switch
    {
        "resnet18-unet" => new ResNetUNet("resnet18", inChannels, structures),
        "resnet34-unet" => new ResNetUNet("resnet34", inChannels, structures),
        // The encoder of the ImageNet ResNet-18 Pleura has offline (`pleura weights imagenet`; METHOD's opacity U-Net).
        "resnet18-cntk-unet" => new ResNetUNet("resnet18-cntk", inChannels, structures),
        _ when name.StartsWith("unet-w", StringComparison.Ordinal) && int.TryParse(name["unet-w".Length..], out var width) && width > 0
            => new UNet(inChannels, structures, width),
        _ => throw new ArgumentException($"unknown segmentation network '{name}'; choose one of {string.Join(", ", Names)}"),
    };

    /// <summary>Input sides must be multiples of this.</summary>
    public static int SizeMultiple(string name) => name.StartsWith("resnet", StringComparison.Ordinal) ? 32 : 16;
}
